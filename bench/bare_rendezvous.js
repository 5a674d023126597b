// The references for bench.connect: the least a page must do to reach a peer through
// Parley's rendezvous server. bench.connect installs this as an init script and loads
// a path the server answers with its small 404 page, so the load is a real round trip
// to the same server. Open the WebSocket, hello, join the topic; the page
// that finds a peer in `peers` offers, the other answers; descriptions and candidates
// travel as `signal` blobs (zero-padded to the server's fixed sizes).
// window.bareOpenedAt is performance.now() when the page that dialled is done.
//
// Two levels (`?floor` in the URL picks the second):
// - **bare**: blobs unsealed, done when the data channel opens;
// - **floor**: also the work Parley's protocol cannot do without, and nothing of the
//   app: libsodium.js loaded as the app loads it (the vendored file, in parallel with the
//   socket; the hello waits for a connection key), each blob signed by an identity and
//   sealed to the recipient's connection key (and opened and checked), and on the open
//   channel the certificate check and a signed link proof each way, the answerer
//   greeting once a frame came (protocol §4, link authentication). Done when the dialling
//   page has checked the answerer's proof. `?floor&warm` only loads libsodium (so the
//   browser has it cached and compiled, as a warm visit of Parley has).
if (location.pathname === '/bench/bare-rendezvous') (() => {
  // What went wrong, for bench.connect to print if the clock never stops.
  window.bareErrors = [];
  const noteError = (error) => window.bareErrors.push(`${performance.now().toFixed(0)} ms: ${error?.stack ?? error}`);
  window.addEventListener('error', ({ error, message }) => noteError(error ?? message));
  window.addEventListener('unhandledrejection', ({ reason }) => noteError(reason));
  const params = new URLSearchParams(location.search);
  const topic = params.get('topic');
  const floor = params.has('floor');
  const SIZES = [1072, 4144, 16432];
  const SEAL_OVERHEAD = 48;
  const sodiumReady = floor ? import('/static/vendor/libsodium.js').then(async ({ default: sodium }) => {
    await sodium.ready;
    return sodium;
  }) : null;
  if (floor && params.has('warm')) {
    sodiumReady.then(() => { window.bareWarm = true; });
    return;
  }
  const socket = new WebSocket(`ws://${location.host}/ws/signal`);
  const keysOf = new Map(); // connection id -> its connection key
  let pc = null;
  let sodium = null;
  let connection = null; // this page's connection keypair (floor)
  let identity = null; // its signing keypair (floor)
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();
  const toBase64url = (bytes) => btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  const fromBase64url = (text) => Uint8Array.from(
    atob(text.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));
  const concat = (...parts) => {
    const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
    let at = 0;
    for (const part of parts) { out.set(part, at); at += part.length; }
    return out;
  };
  const unpadded = (bytes) => {
    const end = bytes.indexOf(0);
    return JSON.parse(decoder.decode(bytes.subarray(0, end < 0 ? bytes.length : end)));
  };

  function signal(to, message) {
    const json = encoder.encode(JSON.stringify(message));
    if (!floor) {
      const padded = new Uint8Array(SIZES.find((size) => size >= json.length));
      padded.set(json);
      socket.send(JSON.stringify({ type: 'signal', topic, to, blob: toBase64url(padded) }));
      return;
    }
    // signature ‖ identity key ‖ JSON, zero-padded, sealed to the recipient.
    const signed = 64 + 32 + json.length;
    const inner = new Uint8Array(SIZES.find((size) => size - SEAL_OVERHEAD >= signed) - SEAL_OVERHEAD);
    inner.set(sodium.crypto_sign_detached(json, identity.privateKey));
    inner.set(identity.publicKey, 64);
    inner.set(json, 96);
    const sealed = sodium.crypto_box_seal(inner, keysOf.get(to));
    socket.send(JSON.stringify({ type: 'signal', topic, to, blob: toBase64url(sealed) }));
  }

  function opened(bytes) {
    if (!floor) return unpadded(bytes);
    const inner = sodium.crypto_box_seal_open(bytes, connection.publicKey, connection.privateKey);
    const json = inner.subarray(96);
    const end = json.indexOf(0);
    const body = json.subarray(0, end < 0 ? json.length : end);
    if (!sodium.crypto_sign_verify_detached(inner.subarray(0, 64), body, inner.subarray(64, 96))) {
      throw new Error('bad signature');
    }
    return { message: JSON.parse(decoder.decode(body)), sender: inner.slice(64, 96) };
  }

  const fingerprintIn = (sdp) => Uint8Array.from(
    sdp.match(/^a=fingerprint:sha-256 ([0-9A-Fa-f:]+)\s*$/m)[1].split(':'), (hex) => parseInt(hex, 16));

  // The certificate check: the remote DTLS certificate's SHA-256 must be the fingerprint
  // of the description that came sealed. Answers [own, peer's] fingerprint. The
  // descriptions are the ones sent and received, kept as Parley keeps them:
  // pc.remoteDescription can still be null when the channel opens.
  const sdps = { local: null, remote: null };
  async function checkedFingerprints() {
    const dtls = pc.sctp.transport;
    // As Parley: the certificate can appear a moment after the connection is `connected`.
    for (let waited = 0; dtls.getRemoteCertificates().length === 0; waited += 5) {
      if (waited > 5000) throw new Error('no remote certificate');
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const [certificate] = dtls.getRemoteCertificates();
    const remote = new Uint8Array(await crypto.subtle.digest('SHA-256', certificate));
    if (sodium.compare(remote, fingerprintIn(sdps.remote)) !== 0) {
      throw new Error('certificate mismatch');
    }
    return [fingerprintIn(sdps.local), remote];
  }

  const linkProofInput = (first, second) => concat(encoder.encode(`parley-link-v1${topic}`), first, second);

  // Floor: each end proves its identity on the channel, as Parley: the certificate check
  // starts when the connection is `connected`; the dialling end greets as soon as its
  // channel is open and the check passed, the answering end once a frame came on it
  // (before it reads that frame), and each checks the other's proof.
  function authenticate(channel, { dialled, peerIdentity, checked }) {
    const greet = ([own, peers]) => channel.send(JSON.stringify({
      proof: toBase64url(sodium.crypto_sign_detached(linkProofInput(own, peers), identity.privateKey)),
    }));
    let greeted = false;
    channel.addEventListener('message', async ({ data }) => {
      const fingerprints = await checked;
      if (!dialled && !greeted) {
        greeted = true;
        greet(fingerprints);
      }
      const [own, peers] = fingerprints;
      const proof = fromBase64url(JSON.parse(data).proof);
      if (!sodium.crypto_sign_verify_detached(proof, linkProofInput(peers, own), peerIdentity.value)) {
        throw new Error('bad link proof');
      }
      window.bareProofsChecked = (window.bareProofsChecked ?? 0) + 1;
      if (dialled) window.bareOpenedAt = performance.now();
    });
    if (dialled) channel.addEventListener('open', async () => greet(await checked));
  }

  // Floor: the certificate check of the connection, started once it is `connected`.
  function certificateChecked() {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (pc.connectionState !== 'connected') return;
        pc.removeEventListener('connectionstatechange', check);
        checkedFingerprints().then(resolve, reject);
      };
      pc.addEventListener('connectionstatechange', check);
    });
  }

  let checked = null; // floor: the certificate check's promise
  function connect(to) {
    pc = new RTCPeerConnection();
    if (floor) checked = certificateChecked();
    pc.addEventListener('icecandidate', ({ candidate }) => {
      if (candidate) signal(to, { candidate: candidate.toJSON() });
    });
    pc.addEventListener('datachannel', ({ channel }) => {
      if (floor) authenticate(channel, { dialled: false, peerIdentity, checked });
      else channel.addEventListener('open', () => { window.bareOpenedAt = performance.now(); });
    });
    return pc;
  }
  const peerIdentity = { value: null }; // the identity key its envelopes carried (floor)

  socket.addEventListener('open', async () => {
    let key = crypto.getRandomValues(new Uint8Array(32));
    if (floor) {
      sodium = await sodiumReady;
      connection = sodium.crypto_box_keypair();
      identity = sodium.crypto_sign_keypair();
      key = connection.publicKey;
    }
    socket.send(JSON.stringify({ type: 'hello', v: 1, key: toBase64url(key) }));
  });
  // One frame at a time: a candidate must not be added before its description is set.
  let handled = Promise.resolve();
  socket.addEventListener('message', ({ data }) => {
    const frame = JSON.parse(data);
    handled = handled.then(() => handle(frame)).catch((error) => noteError(`${frame.type}: ${error.stack}`));
  });
  async function handle(frame) {
    if (frame.type === 'welcome') socket.send(JSON.stringify({ type: 'join', topic }));
    if (frame.type === 'joined') {
      keysOf.set(frame.peer.id, fromBase64url(frame.peer.key));
      window.bareJoined = true;
    }
    if (frame.type === 'peers') {
      for (const peer of frame.peers) keysOf.set(peer.id, fromBase64url(peer.key));
      window.bareJoined = true;
      const peer = frame.peers[0];
      if (!peer) return;
      connect(peer.id);
      const channel = pc.createDataChannel('bare');
      if (floor) {
        authenticate(channel, { dialled: true, peerIdentity, checked });
      } else {
        channel.addEventListener('open', () => { window.bareOpenedAt = performance.now(); });
      }
      await pc.setLocalDescription();
      sdps.local = pc.localDescription.sdp;
      signal(peer.id, { description: pc.localDescription.toJSON() });
    }
    if (frame.type === 'signal') {
      let message = opened(fromBase64url(frame.blob));
      if (floor) {
        peerIdentity.value ??= message.sender;
        message = message.message;
      }
      if (message.description) {
        if (!pc) connect(frame.from);
        sdps.remote = message.description.sdp;
        await pc.setRemoteDescription(message.description);
        if (message.description.type === 'offer') {
          await pc.setLocalDescription();
          sdps.local = pc.localDescription.sdp;
          signal(frame.from, { description: pc.localDescription.toJSON() });
        }
      } else if (message.candidate) {
        await pc.addIceCandidate(message.candidate);
      }
    }
  }
})();
