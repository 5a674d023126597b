// SignalingClient: one WebSocket to the rendezvous server (docs/protocol.md §3).
//
//   const client = new SignalingClient({ url, createConnectionKeypair })
//   client.addEventListener('peers' | 'joined' | 'left' | 'signal' | 'server-error', e => e.detail)
//   client.addEventListener('state', e => e.detail.state)  // connecting | online | offline
//   client.join(topic); client.leave(topic); client.sendSignal(topic, to, blob)
//   await client.wake(mailboxId, blob)  -> { mailbox, delivered }  (rejects with .code)
//   await client.requestIceServers()    -> { servers, expires }    (rejects with .code)
//   await client.askMirror(blob)         -> { blob, keypair }      (rejects with .code)
//
// It knows nothing about rooms or envelopes: topics and blobs are opaque bytes/strings.
// Every (re)connection gets a fresh connection keypair, so the server cannot link a
// reconnect to the previous connection by key. The `peers` and `joined` it passes on
// never name one of this client's own earlier connections.
import { toBase64Url } from '../crypto/bytes.js';
import { PROTOCOL_VERSION } from './frames.js';
import { IceServersSchemaError, parseIceServersAnswer } from './ice-servers.js';
import { FramePacer } from './pacer.js';

const PING_INTERVAL_MS = 25_000;
const OPEN_STATE = 1; // WebSocket.OPEN, also where no WebSocket global exists (node)
const BACKOFF_FIRST_MS = 500;
const BACKOFF_MAX_MS = 30_000;
// The server answers `woken` once the push services have answered (§3), which can take
// a while; past this, the wake counts as lost.
const WAKE_TIMEOUT_MS = 20_000;
// A socket that died on this side (a network change, a router restart) stays in its
// topics until the server notices (§5 keep-alive), so the `peers` of the next connection
// may list it: this client's own earlier connections, which it must not dial. It
// remembers this many.
const OWN_CONNECTIONS_REMEMBERED = 8;
// A mirror service answers once it has stored the room and joined its topic (§12).
const MIRROR_TIMEOUT_MS = 15_000;
// Links wait for the ICE servers (peers/ice-config.js): never longer than this.
export const ICE_SERVERS_TIMEOUT_MS = 5_000;

export class WakeFailed extends Error {
  constructor(code) {
    super(code);
    this.name = 'WakeFailed';
    this.code = code;
  }
}

// Why requestIceServers() gave nothing: the server's error code (`ice_rate_limited`,
// `not_joined`, `unknown_type` from a server that predates the frame), `timeout`,
// `offline` or `bad_answer`.
export class IceServersFailed extends Error {
  constructor(code) {
    super(code);
    this.name = 'IceServersFailed';
    this.code = code;
  }
}

// Why askMirror() gave no reply: the server's error code (`no_mirror`, `bad_blob`),
// `timeout` or `offline`.
export class MirrorAskFailed extends Error {
  constructor(code) {
    super(code);
    this.name = 'MirrorAskFailed';
    this.code = code;
  }
}

export function backoffDelay(attempt, random = Math.random) {
  const base = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** attempt);
  return Math.round(base * (0.5 + random()));
}

export class SignalingClient extends EventTarget {
  constructor({ url, createConnectionKeypair, WebSocketImpl = globalThis.WebSocket }) {
    super();
    this.url = url;
    this.createConnectionKeypair = createConnectionKeypair;
    this.WebSocketImpl = WebSocketImpl;
    this.topics = new Set(); // base64url topics to (re)join
    this.state = 'offline';
    this.connectionId = null;
    this.ownConnectionIds = []; // this one and the last few before it
    this.limits = {}; // as the last `welcome` stated them (§5), for whoever needs one
    this.connectionKeypair = null;
    this.attempt = 0;
    this.socket = null;
    this.pingTimer = null;
    this.reconnectTimer = null;
    this.stopped = false;
    this.pacer = null;
    this.topicLimit = Infinity;
    this.wakeInFlight = null; // { mailbox, resolve, reject, timer }
    this.wakeQueue = Promise.resolve();
    this.iceInFlight = null; // { promise, resolve, reject, timer }
    this.mirrorInFlight = null; // { keypair, resolve, reject, timer }
    this.mirrorQueue = Promise.resolve();
  }

  start() {
    this.stopped = false;
    globalThis.addEventListener?.('online', this.#onNetworkBack);
    globalThis.addEventListener?.('offline', this.#onNetworkLost);
    this.#open();
  }

  stop() {
    this.stopped = true;
    globalThis.removeEventListener?.('online', this.#onNetworkBack);
    globalThis.removeEventListener?.('offline', this.#onNetworkLost);
    clearTimeout(this.reconnectTimer);
    this.#teardown();
    this.socket?.close(1000);
    this.#setState('offline');
  }

  // Topics beyond the server's per-connection limit wait ("parked") until one is left.
  join(topic) {
    this.topics.add(topic);
    if (this.state === 'online' && this.#joinable(topic)) this.#send({ type: 'join', topic });
  }

  leave(topic) {
    const wasJoined = this.#joinable(topic);
    this.topics.delete(topic);
    if (this.state !== 'online' || !wasJoined) return;
    this.#send({ type: 'leave', topic });
    const unparked = [...this.topics][this.topicLimit - 1];
    if (unparked) this.#send({ type: 'join', topic: unparked });
  }

  isParked(topic) {
    return this.topics.has(topic) && !this.#joinable(topic);
  }

  #joinable(topic) {
    return [...this.topics].indexOf(topic) < this.topicLimit;
  }

  sendSignal(topic, to, blob) {
    if (this.state !== 'online') return false;
    return this.#send({ type: 'signal', topic, to, blob });
  }

  // Asks the server to push a sealed wake to a mailbox (§3 `wake`, §10). Resolves with
  // the `woken` answer; rejects with a WakeFailed whose code is the server's error code
  // (`wake_rate_limited`, `bad_blob`…), `offline` or `timeout`. Wakes go one at a time:
  // an error frame names only the frame type it answers, so with one wake in flight it
  // is unambiguous (wakes are rare: one per away member per minute).
  wake(mailbox, blob) {
    const result = this.wakeQueue.then(() => this.#wakeNow(mailbox, blob));
    this.wakeQueue = result.catch(() => {});
    return result;
  }

  #wakeNow(mailbox, blob) {
    if (this.state !== 'online') return Promise.reject(new WakeFailed('offline'));
    return new Promise((resolve, reject) => {
      const pending = { mailbox, resolve, reject, timer: null };
      pending.timer = setTimeout(() => this.#settleWake(new WakeFailed('timeout')), WAKE_TIMEOUT_MS);
      this.wakeInFlight = pending;
      if (!this.#send({ type: 'wake', mailbox, blob })) this.#settleWake(new WakeFailed('offline'));
    });
  }

  #settleWake(outcome) {
    const pending = this.wakeInFlight;
    if (!pending) return;
    this.wakeInFlight = null;
    clearTimeout(pending.timer);
    if (outcome instanceof Error) pending.reject(outcome);
    else pending.resolve(outcome);
  }

  // Hands a sealed request to the server's mirror service (§12 `mirror`). Resolves with
  // the sealed reply and the connection keypair it is sealed to. One at a time: a reply
  // does not say which request it answers.
  askMirror(blob) {
    const result = this.mirrorQueue.then(() => this.#askMirrorNow(blob));
    this.mirrorQueue = result.catch(() => {});
    return result;
  }

  #askMirrorNow(blob) {
    if (this.state !== 'online') return Promise.reject(new MirrorAskFailed('offline'));
    return new Promise((resolve, reject) => {
      const pending = { keypair: this.connectionKeypair, resolve, reject, timer: null };
      pending.timer = setTimeout(() => this.#settleMirror(new MirrorAskFailed('timeout')), MIRROR_TIMEOUT_MS);
      this.mirrorInFlight = pending;
      if (!this.#send({ type: 'mirror', blob })) this.#settleMirror(new MirrorAskFailed('offline'));
    });
  }

  #settleMirror(outcome) {
    const pending = this.mirrorInFlight;
    if (!pending) return;
    this.mirrorInFlight = null;
    clearTimeout(pending.timer);
    if (outcome instanceof Error) pending.reject(outcome);
    else pending.resolve({ blob: outcome, keypair: pending.keypair });
  }

  // Asks for this device's STUN/TURN servers (§3 `ice-servers`; allowed once a topic is
  // joined). One request at a time: a second caller shares the first one's answer.
  requestIceServers() {
    if (this.iceInFlight) return this.iceInFlight.promise;
    if (this.state !== 'online') return Promise.reject(new IceServersFailed('offline'));
    const pending = {};
    pending.promise = new Promise((resolve, reject) => Object.assign(pending, { resolve, reject }));
    pending.timer = setTimeout(() => this.#settleIce(new IceServersFailed('timeout')), ICE_SERVERS_TIMEOUT_MS);
    this.iceInFlight = pending;
    if (!this.#send({ type: 'ice-servers' })) this.#settleIce(new IceServersFailed('offline'));
    return pending.promise;
  }

  #settleIce(outcome) {
    const pending = this.iceInFlight;
    if (!pending) return;
    this.iceInFlight = null;
    clearTimeout(pending.timer);
    if (outcome instanceof Error) pending.reject(outcome);
    else pending.resolve(outcome);
  }

  #onIceServers(frame) {
    if (!this.iceInFlight) return; // nobody asked: nothing to do with it
    try {
      this.#settleIce(parseIceServersAnswer(frame));
    } catch (error) {
      if (!(error instanceof IceServersSchemaError)) throw error;
      console.warn(`parley: the server's ice-servers answer was ignored: ${error.message}`);
      this.#settleIce(new IceServersFailed('bad_answer'));
    }
  }

  // The network is back (the window's `online` event): connect now instead of waiting
  // out a backoff that grew while there was no network at all.
  reconnectNow() {
    if (this.stopped || this.socket) return;
    clearTimeout(this.reconnectTimer);
    this.attempt = 0;
    this.#open();
  }

  #onNetworkBack = () => this.reconnectNow();

  // The network is gone (the window's `offline` event). A socket can look open for a
  // long while after that (no close handshake can get through), and the UI would say
  // "online": drop it now. Retries go on with the backoff, in case the browser is wrong.
  #onNetworkLost = () => {
    const socket = this.socket;
    if (this.stopped || !socket) return;
    this.socket = null; // its close event, whenever it comes, is ignored
    socket.close(1000);
    this.#onClose({ code: null });
  };

  #open() {
    this.#setState('connecting');
    this.connectionKeypair = this.createConnectionKeypair();
    const socket = new this.WebSocketImpl(this.url);
    this.socket = socket;
    const hello = () => this.#send({ type: 'hello', v: PROTOCOL_VERSION, key: toBase64Url(this.connectionKeypair.publicKey) });
    // A socket opened before the client (signaling/early-socket.js) may be open already.
    if (socket.readyState === OPEN_STATE) hello();
    else socket.addEventListener('open', hello);
    socket.addEventListener('message', (event) => this.#onFrame(event.data));
    socket.addEventListener('close', (event) => {
      if (this.socket === socket) this.#onClose(event);
    });
  }

  #onFrame(text) {
    let frame;
    try {
      frame = JSON.parse(text);
    } catch {
      return; // the server only sends JSON; anything else is ignored
    }
    if (!frame || typeof frame.type !== 'string') return;
    switch (frame.type) {
      case 'welcome':
        this.connectionId = frame.id;
        this.ownConnectionIds = [...this.ownConnectionIds, frame.id].slice(-OWN_CONNECTIONS_REMEMBERED);
        this.pacer = new FramePacer({
          ratePerSecond: Number(frame.limits?.rate_per_second) || 20,
          burst: Number(frame.limits?.burst) || 100,
          send: (queued) => this.#sendNow(queued),
        });
        this.attempt = 0;
        this.topicLimit = Number(frame.limits?.topics) || 16;
        this.limits = typeof frame.limits === 'object' && frame.limits !== null ? frame.limits : {};
        this.#setState('online');
        this.#startPing();
        for (const topic of [...this.topics].slice(0, this.topicLimit)) this.#send({ type: 'join', topic });
        this.dispatchEvent(new CustomEvent('welcome', { detail: frame }));
        break;
      case 'peers':
        if (Array.isArray(frame.peers)) {
          frame.peers = frame.peers.filter((peer) => !this.ownConnectionIds.includes(peer?.id));
        }
        this.dispatchEvent(new CustomEvent(frame.type, { detail: frame }));
        break;
      case 'joined':
        if (this.ownConnectionIds.includes(frame.peer?.id)) break;
        this.dispatchEvent(new CustomEvent(frame.type, { detail: frame }));
        break;
      case 'left':
      case 'signal':
        this.dispatchEvent(new CustomEvent(frame.type, { detail: frame }));
        break;
      case 'woken':
        if (this.wakeInFlight?.mailbox === frame.mailbox) {
          this.#settleWake({ mailbox: frame.mailbox, delivered: Number(frame.delivered) || 0 });
        }
        break;
      case 'ice-servers':
        this.#onIceServers(frame);
        break;
      case 'mirror-reply':
        if (typeof frame.blob === 'string') this.#settleMirror(frame.blob);
        break;
      case 'error':
        // A server that predates `ice-servers` answers `unknown_type` without a ref; this
        // client sends no other type such a server would not know.
        if (this.iceInFlight && (frame.ref === 'ice-servers' || (frame.code === 'unknown_type' && !frame.ref))) {
          this.#settleIce(new IceServersFailed(String(frame.code)));
          break;
        }
        if (frame.ref === 'mirror' && this.mirrorInFlight) {
          this.#settleMirror(new MirrorAskFailed(String(frame.code)));
          break;
        }
        if (frame.ref === 'wake' && this.wakeInFlight) {
          this.#settleWake(new WakeFailed(String(frame.code)));
          break;
        }
        this.dispatchEvent(new CustomEvent('server-error', { detail: frame }));
        break;
      default:
        break; // pong and unknown types: nothing to do
    }
  }

  #onClose(event) {
    this.#teardown();
    this.socket = null;
    this.connectionId = null;
    if (this.stopped) return;
    this.#setState('offline', { code: event.code });
    const delay = backoffDelay(this.attempt++);
    this.reconnectTimer = setTimeout(() => this.#open(), delay);
  }

  #startPing() {
    clearInterval(this.pingTimer);
    this.pingTimer = setInterval(() => this.#send({ type: 'ping' }), PING_INTERVAL_MS);
  }

  #teardown() {
    this.#settleWake(new WakeFailed('offline'));
    this.#settleIce(new IceServersFailed('offline'));
    this.#settleMirror(new MirrorAskFailed('offline'));
    clearInterval(this.pingTimer);
    this.pingTimer = null;
    this.pacer?.reset();
    this.pacer = null;
  }

  // Before `welcome` only `hello` is sent; after it every frame goes through the pacer.
  #send(frame) {
    if (this.socket?.readyState !== OPEN_STATE) return false;
    return this.pacer ? this.pacer.push(frame) : this.#sendNow(frame);
  }

  #sendNow(frame) {
    if (this.socket?.readyState !== OPEN_STATE) return false;
    this.socket.send(JSON.stringify(frame));
    return true;
  }

  #setState(state, extra = {}) {
    this.state = state;
    this.dispatchEvent(new CustomEvent('state', { detail: { state, ...extra } }));
  }
}
