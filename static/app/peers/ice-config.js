// IceConfig: the one owner of this device's ICE configuration (docs/protocol.md §6, "ICE
// configuration"): the STUN/TURN servers the rendezvous server hands out (§3
// `ice-servers`), when to ask again before the TURN credential expires, and the "Hide my
// IP address" preference, stored on this device. Every PeerLink takes its
// RTCConfiguration from rtcConfiguration() when it is made.
//
//   const ice = new IceConfig({ signaling, store })
//   await ice.load()                  the stored preference (off by default)
//   ice.prefetch()                    after a join: the first ask, before anyone is dialled
//   await ice.whenReady()             before making any link; asks the server when needed,
//                                     never rejects, never waits past the client's 5 s
//   ice.rtcConfiguration()  -> { iceServers, iceTransportPolicy: 'relay' | 'all' }
//   ice.hideIp, ice.hasRelay, ice.relayMissing (hide on, and the server offers no relay)
//   await ice.setHideIp(on)
//   ice.hasLinks = () => boolean      renewals are only asked for while links exist
//   ice.addEventListener('change', e => e.detail.why)
//                                     'servers' (a new answer), 'unanswered', 'hide-ip'
//
// When to ask: a server allows it only once this connection is in a topic, so the first
// ask goes out right behind a join (prefetch), or comes from the first link a room swarm
// wants to make (by then its join went out first on the same socket). A device with TURN
// credentials asks again at 3/4 of their lifetime while it has links, and otherwise before its next link. A failed ask (rate
// limit, timeout) is not repeated on the same connection for a minute (less when a valid
// credential would expire before: #retryAfterMs), and never on a
// connection to a server that does not know the frame (`unknown_type`: its error frames
// count toward the server's close 4001); links go on with what there is.
import { hasRelay } from '../signaling/ice-servers.js';

export const ICE_SETTING = 'ice';
const RENEW_AT_FRACTION = 0.75;
export const RETRY_AFTER_MS = 60_000;
// However short the lifetime a server gives (or an expiry already past), renewals never
// follow each other faster than this.
export const MIN_RENEW_AFTER_MS = 10_000;
const MAX_TIMER_MS = 2 ** 31 - 1;

export class IceConfig extends EventTarget {
  constructor({ signaling, store, now = () => Date.now(), log = console }) {
    super();
    this.signaling = signaling;
    this.store = store;
    this.now = now;
    this.log = log;
    this.servers = [];
    this.expires = null; // unix seconds of the TURN credential, or null
    this.hideIp = false;
    this.answered = false; // a valid answer came at least once
    this.settled = false; // an ask finished at least once, answered or not
    this.hasLinks = () => false;
    this.inFlight = null;
    this.lastFailure = null; // { connectionId, at }
    this.renewAt = Infinity;
    this.renewTimer = null;
    // The `welcome` comes after the client (re)joined its topics, so the server allows
    // an ask: the first one (prefetch), or a renewal that fell due while the connection
    // was down.
    signaling.addEventListener('welcome', () => {
      if (!this.answered) this.prefetch();
      else if (this.now() >= this.renewAt && this.hasLinks()) this.whenReady();
    });
  }

  async load() {
    const stored = await this.store.loadSetting(ICE_SETTING);
    this.hideIp = stored?.hideIp === true;
  }

  // Takes effect at once (the swarms redial on 'hide-ip'): while the save is under way a
  // direct link must not restart ICE and hand the peer new addresses. A save that fails
  // puts the preference back, so what the switch shows is what a reload will find.
  async setHideIp(on) {
    const hideIp = Boolean(on);
    if (hideIp === this.hideIp) return;
    this.hideIp = hideIp;
    this.#emit('hide-ip');
    try {
      await this.store.saveSetting(ICE_SETTING, { hideIp });
    } catch (error) {
      this.hideIp = !hideIp;
      this.#emit('hide-ip');
      throw error;
    }
  }

  get hasRelay() {
    return hasRelay(this.rtcConfiguration().iceServers);
  }

  // Known only once the server said what it offers: before, or when the ask failed (a
  // timeout, a rate limit), nothing says the server has no relay. A server that predates
  // the frame (unknown_type) offers none.
  get relayMissing() {
    const told = this.answered || this.lastFailure?.code === 'unknown_type';
    return this.hideIp && told && !this.hasRelay;
  }

  // A TURN credential past its expiry is refused by the relay: only STUN is left then.
  rtcConfiguration() {
    const fresh = this.expires === null || this.now() < this.expires * 1000;
    const iceServers = this.servers
      .filter((server) => fresh || server.username === undefined)
      .map((server) => ({ ...server, urls: [...server.urls] }));
    return { iceServers, iceTransportPolicy: this.hideIp ? 'relay' : 'all' };
  }

  // The first ask goes out right behind a join: the server answers the join (`peers`)
  // and then the ask, so the first dial waits for one answer after `peers` instead of a
  // whole round trip. Called by a swarm that just joined, and on `welcome` (which
  // follows the client's joins).
  prefetch() {
    if (!this.answered && this.signaling.topics?.size > 0) this.whenReady();
  }

  whenReady() {
    if (this.inFlight) return this.inFlight;
    if (this.#shouldAsk()) return this.#ask();
    return Promise.resolve();
  }

  stop() {
    clearTimeout(this.renewTimer);
  }

  #shouldAsk() {
    if (this.signaling.state !== 'online') return false;
    const failure = this.lastFailure;
    if (failure?.connectionId === this.signaling.connectionId) {
      if (failure.code === 'unknown_type' || this.now() - failure.at < failure.retryAfterMs) return false;
    }
    return !this.answered || this.now() >= this.renewAt;
  }

  #ask() {
    const connectionId = this.signaling.connectionId;
    this.inFlight = this.signaling.requestIceServers().then(
      (answer) => this.#accept(answer),
      (error) => {
        this.settled = true;
        const retryAfterMs = this.#retryAfterMs();
        this.lastFailure = { connectionId, at: this.now(), code: error.code, retryAfterMs };
        this.log.info(`parley: going on with the ICE servers this device has (${error.code ?? error.message})`);
        if (this.expires !== null && this.now() < this.expires * 1000) this.#schedule(retryAfterMs);
        this.#emit('unanswered');
      },
    ).finally(() => {
      this.inFlight = null;
    });
    return this.inFlight;
  }

  #accept({ servers, expires }) {
    this.servers = servers;
    this.expires = expires;
    this.answered = true;
    this.settled = true;
    this.lastFailure = null;
    clearTimeout(this.renewTimer);
    this.renewAt = Infinity;
    if (expires !== null) {
      const now = this.now();
      this.renewAt = now + Math.max(MIN_RENEW_AFTER_MS, RENEW_AT_FRACTION * (expires * 1000 - now));
      this.#schedule(this.renewAt - now);
    }
    this.#emit('servers');
  }

  // A failed ask waits a minute, or less while a credential that expires sooner is still
  // valid (half its time left, at least MIN_RENEW_AFTER_MS): a short-lived one would
  // otherwise expire before the retry.
  #retryAfterMs() {
    const left = this.expires === null ? Infinity : this.expires * 1000 - this.now();
    if (left <= 0) return RETRY_AFTER_MS;
    return Math.min(RETRY_AFTER_MS, Math.max(MIN_RENEW_AFTER_MS, left / 2));
  }

  #schedule(delayMs) {
    clearTimeout(this.renewTimer);
    this.renewTimer = setTimeout(() => this.#renew(), Math.min(MAX_TIMER_MS, Math.max(0, delayMs)));
  }

  // The timer says the renewal is due, whatever Date.now() says: timers run on another
  // clock and may fire a moment before renewAt, which would skip the renewal for good.
  // Without links nothing is asked: the next link asks first.
  #renew() {
    this.renewAt = Math.min(this.renewAt, this.now());
    if (this.hasLinks()) this.whenReady();
  }

  #emit(why) {
    this.dispatchEvent(new CustomEvent('change', { detail: { why } }));
  }
}
