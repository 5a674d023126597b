// The reference for bench.connect: the least a page must do to reach a peer through
// Parley's rendezvous server. bench.connect installs this as an init script and loads
// a path the server answers with its small 404 page, so the load is a real round trip
// to the same server. Open the WebSocket, hello, join the topic; the page
// that finds a peer in `peers` offers, the other answers; descriptions and candidates
// travel as `signal` blobs (unsealed, zero-padded to the server's fixed sizes).
// window.bareOpenedAt is performance.now() when the data channel opened.
if (location.pathname === '/bench/bare-rendezvous') (() => {
  const params = new URLSearchParams(location.search);
  const topic = params.get('topic');
  const SIZES = [1072, 4144, 16432];
  const socket = new WebSocket(`ws://${location.host}/ws/signal`);
  let pc = null;
  const toBase64url = (bytes) => btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  const fromBase64url = (text) => Uint8Array.from(
    atob(text.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));

  function signal(to, message) {
    const json = new TextEncoder().encode(JSON.stringify(message));
    const padded = new Uint8Array(SIZES.find((size) => size >= json.length));
    padded.set(json);
    socket.send(JSON.stringify({ type: 'signal', topic, to, blob: toBase64url(padded) }));
  }

  function connect(to) {
    pc = new RTCPeerConnection();
    pc.addEventListener('icecandidate', ({ candidate }) => {
      if (candidate) signal(to, { candidate: candidate.toJSON() });
    });
    const opened = (channel) => channel.addEventListener('open', () => {
      window.bareOpenedAt = performance.now();
    });
    pc.addEventListener('datachannel', ({ channel }) => opened(channel));
    return pc;
  }

  socket.addEventListener('open', () => {
    const key = crypto.getRandomValues(new Uint8Array(32));
    socket.send(JSON.stringify({ type: 'hello', v: 1, key: toBase64url(key) }));
  });
  // One frame at a time: a candidate must not be added before its description is set.
  let handled = Promise.resolve();
  socket.addEventListener('message', ({ data }) => {
    handled = handled.then(() => handle(JSON.parse(data)));
  });
  async function handle(frame) {
    if (frame.type === 'welcome') socket.send(JSON.stringify({ type: 'join', topic }));
    if (frame.type === 'joined') window.bareJoined = true;
    if (frame.type === 'peers') {
      window.bareJoined = true;
      const peer = frame.peers[0];
      if (!peer) return;
      connect(peer.id);
      pc.createDataChannel('bare').addEventListener('open', () => {
        window.bareOpenedAt = performance.now();
      });
      await pc.setLocalDescription();
      signal(peer.id, { description: pc.localDescription.toJSON() });
    }
    if (frame.type === 'signal') {
      const bytes = fromBase64url(frame.blob);
      const end = bytes.indexOf(0);
      const message = JSON.parse(new TextDecoder().decode(bytes.subarray(0, end < 0 ? bytes.length : end)));
      if (message.description) {
        if (!pc) connect(frame.from);
        await pc.setRemoteDescription(message.description);
        if (message.description.type === 'offer') {
          await pc.setLocalDescription();
          signal(frame.from, { description: pc.localDescription.toJSON() });
        }
      } else if (message.candidate) {
        await pc.addIceCandidate(message.candidate);
      }
    }
  }
})();
