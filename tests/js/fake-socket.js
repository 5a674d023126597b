// A WebSocket for SignalingClient tests that keeps every socket it opened: the test
// opens it, feeds it frames and breaks it (a close the network made, 1006 by default).
//
//   FakeSocket.opened = [];  new SignalingClient({ ..., WebSocketImpl: FakeSocket })
//   const socket = FakeSocket.opened.at(-1)
//   socket.receive(frame); socket.fail(); socket.sent   (the texts the client sent)
export class FakeSocket extends EventTarget {
  static opened = [];
  constructor(url) {
    super();
    this.url = url;
    this.readyState = 0;
    this.sent = [];
    FakeSocket.opened.push(this);
  }
  send(text) { this.sent.push(text); }
  close(code = 1000) { this.fail(code); }
  fail(code = 1006) {
    this.readyState = 3;
    this.dispatchEvent(Object.assign(new Event('close'), { code }));
  }
  receive(frame) {
    this.dispatchEvent(Object.assign(new Event('message'), { data: JSON.stringify(frame) }));
  }
}
