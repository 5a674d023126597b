// A timeline of one connection, for `python -m bench.connect --trace`: installed in the
// page before its own scripts, it wraps WebSocket, RTCPeerConnection and
// RTCDataChannel.send and notes when each step happens (window.benchTrace:
// [performance.now(), what]).
(() => {
  const lines = (window.benchTrace = []);
  const mark = (what) => lines.push([performance.now(), what]);
  const frameType = (data) => {
    try {
      const frame = JSON.parse(data);
      return frame.type ?? frame.t;
    } catch {
      return 'binary';
    }
  };
  const NativeSocket = window.WebSocket;
  window.WebSocket = class extends NativeSocket {
    constructor(...args) {
      super(...args);
      mark('ws new');
      this.addEventListener('open', () => mark('ws open'));
      this.addEventListener('message', ({ data }) => mark(`ws in ${frameType(data)}`));
    }
    send(data) { mark(`ws out ${frameType(data)}`); return super.send(data); }
  };
  const NativePeerConnection = window.RTCPeerConnection;
  window.RTCPeerConnection = class extends NativePeerConnection {
    constructor(...args) {
      super(...args);
      mark('pc new');
      this.addEventListener('icecandidate', ({ candidate }) => mark(`candidate ${candidate ? candidate.type : 'end'}`));
      this.addEventListener('iceconnectionstatechange', () => mark(`ice ${this.iceConnectionState}`));
      this.addEventListener('connectionstatechange', () => mark(`dtls/peer ${this.connectionState}`));
      this.addEventListener('datachannel', ({ channel }) => {
        channel.addEventListener('open', () => mark(`channel open (remote) ${channel.label}`));
      });
    }
    async setLocalDescription(...args) { mark('setLocalDescription'); return super.setLocalDescription(...args); }
    async setRemoteDescription(...args) { mark('setRemoteDescription'); return super.setRemoteDescription(...args); }
    createDataChannel(label, options) {
      const channel = super.createDataChannel(label, options);
      channel.addEventListener('open', () => mark(`channel open ${label}`));
      return channel;
    }
  };
  const send = RTCDataChannel.prototype.send;
  RTCDataChannel.prototype.send = function (data) {
    if (this.label === 'parley' && typeof data === 'string') mark(`channel out ${frameType(data)}`);
    return send.call(this, data);
  };
  document.addEventListener('DOMContentLoaded', () => mark('DOMContentLoaded'));
})();
