// A rendezvous connection as IceConfig (static/app/peers/ice-config.js) sees it, that
// answers `ice-servers` per the contract of docs/protocol.md §3, and a device store.
//
//   const signaling = new FakeIceSignaling({ answer: { servers, expires } })
//   signaling.answer = 'ice_rate_limited' | 'unknown_type' | 'timeout' | { servers, expires }
//   signaling.asked       how many times requestIceServers() was called
//   signaling.reconnect() a new connection id, as after a `welcome`
export const STUN = Object.freeze({ urls: ['stun:stun.example.org:3478'] });
export const TURN = Object.freeze({
  urls: ['turn:turn.example.org:3478?transport=udp'],
  username: '1767225600:opaque', credential: 'Y3JlZGVudGlhbA==',
});

export class FakeIceSignaling extends EventTarget {
  constructor({ answer = { servers: [STUN], expires: null } } = {}) {
    super();
    this.answer = answer;
    this.asked = 0;
    this.state = 'online';
    this.connectionId = 'connection-1';
    this.topics = new Set(['topic']); // what the client has joined
    this.pending = [];
  }

  requestIceServers() {
    this.asked += 1;
    const { answer } = this;
    if (answer === 'timeout') {
      return new Promise((resolve, reject) => this.pending.push(reject));
    }
    if (typeof answer === 'string') return Promise.reject(Object.assign(new Error(answer), { code: answer }));
    return Promise.resolve(structuredClone(answer));
  }

  // The client's own 5 s timeout, when the test says it has passed.
  timeOut() {
    for (const reject of this.pending.splice(0)) reject(Object.assign(new Error('timeout'), { code: 'timeout' }));
  }

  reconnect() {
    this.connectionId = `connection-${Number(this.connectionId.split('-')[1]) + 1}`;
  }
}

export class MemoryStore {
  constructor() { this.settings = new Map(); }
  async loadSetting(key) { return structuredClone(this.settings.get(key)); }
  async saveSetting(key, value) { this.settings.set(key, structuredClone(value)); }
}
