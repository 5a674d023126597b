// The rendezvous WebSocket, opened as the page starts: its handshake runs while
// libsodium loads and the device store opens, instead of after them. The signaling
// client takes it over as its first socket (the hello needs a connection key, so it is
// sent only then); a socket that closed meanwhile is not handed over, and the client
// opens its own as it would anyway.
//
//   const early = EarlySocket.open(url)
//   new SignalingClient({ url, WebSocketImpl: early.WebSocketImpl, … })
const CONNECTING = 0;
const OPEN = 1;

export class EarlySocket {
  static open(url, WebSocketImpl = globalThis.WebSocket) {
    return new EarlySocket(url, WebSocketImpl);
  }

  constructor(url, WebSocketImpl) {
    this.url = url;
    this.socket = new WebSocketImpl(url);
    const early = this;
    // Called with `new` by the client: returning an object makes that the new socket.
    this.WebSocketImpl = function EarlyOrNewSocket(wantedUrl) {
      return early.take(wantedUrl) ?? new WebSocketImpl(wantedUrl);
    };
  }

  // The early socket, once, if it is for this URL and still connecting or open.
  take(url) {
    const { socket } = this;
    this.socket = null;
    if (!socket || url !== this.url) {
      socket?.close(1000);
      return null;
    }
    if (socket.readyState !== CONNECTING && socket.readyState !== OPEN) return null;
    return socket;
  }
}
