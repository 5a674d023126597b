// Linking a device (docs/protocol.md §13 "Pairing"): the new device shows a code and
// waits in the code's topic on the rendezvous server; the existing device, given the
// code (scanned or typed), joins that topic and the two prove the code to each other,
// agree on a session key and hand over, sealed, what the new device needs. The server
// relays sealed blobs and learns a topic; nothing it sees opens without the code.
//
//   const waiting = new NewDevicePairing({ signaling, device, deviceName })
//   waiting.code; waiting.expiresAt; await waiting.result -> grant (devices/pairing-grant.js)
//   waiting.addEventListener('state', …): waiting | linking | done | expired | failed (.reason)
//   waiting.stop()
//
//   await linkDevice({ signaling, code, grantFor: ({ device, name }) => grant })
//     -> { device, name }; rejects with a PairingError: no_device, wrong_code,
//        too_many_tries, expired, busy, no_answer, offline
import { fromBase64Url, toBase64Url, utf8Encode } from '../crypto/bytes.js';
import {
  boxFor, codeProven, newEphemeral, newPairingCode, openBox, openPairing, pairingKey, pairingTopic,
  PairingError, proveCode, sealPairing, sessionKey,
} from './pairing-crypto.js';
import { isGrant } from './pairing-grant.js';

export const CODE_LIFETIME_MS = 5 * 60_000;
export const MAX_WRONG_TRIES = 5;
const FIND_DEVICE_MS = 8_000; // how long the existing device looks for the new one
const ANSWER_MS = 15_000; // how long it waits for each answer
const PART_CHARACTERS = 11_000; // of the grant's JSON per sealed message
const MAX_PARTS = 128;
const REFUSALS = ['wrong_code', 'too_many_tries', 'expired', 'busy'];

const textOf = (bytes) => toBase64Url(bytes);
const bytesOf = (text, length) => {
  try {
    return fromBase64Url(text, length);
  } catch {
    return null;
  }
};

// The topic's signals, one listener for the pairing's life.
function listen(signaling, topic, onSignal) {
  const handler = ({ detail }) => {
    if (detail.topic === topic) onSignal(detail);
  };
  signaling.addEventListener('signal', handler);
  return () => signaling.removeEventListener('signal', handler);
}

export class NewDevicePairing extends EventTarget {
  #parts = [];

  constructor({ signaling, device, deviceName, now = Date.now() }) {
    super();
    Object.assign(this, { signaling, device, deviceName });
    this.code = newPairingCode();
    this.expiresAt = now + CODE_LIFETIME_MS;
    this.state = 'waiting';
    this.wrongTries = 0;
    this.partner = null; // { from, key, session }
    this.key = pairingKey(this.code);
    this.topic = textOf(pairingTopic(this.code));
    this.result = new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    this.result.catch(() => {});
    this.unlisten = listen(signaling, this.topic, (signal) => this.#onSignal(signal));
    signaling.join(this.topic);
    this.timer = setTimeout(() => this.#end('expired'), CODE_LIFETIME_MS);
  }

  stop() {
    this.#end('failed', 'cancelled');
  }

  #end(state, reason = null) {
    if (this.state === 'done' || this.state === 'expired' || this.state === 'failed') return;
    clearTimeout(this.timer);
    this.unlisten();
    this.signaling.leave(this.topic);
    this.#set(state, reason);
    if (state !== 'done') this.reject(new PairingError(reason ?? state));
  }

  #set(state, reason = null) {
    this.state = state;
    this.reason = reason;
    this.dispatchEvent(new CustomEvent('state', { detail: { state, reason } }));
  }

  #reply(signal, message) {
    this.signaling.sendSignal(this.topic, signal.from, sealPairing({ v: 1, ...message }, fromBase64Url(signal.key, 32)));
  }

  #onSignal(signal) {
    let message;
    try {
      message = openPairing(signal.blob, this.signaling.connectionKeypair);
    } catch {
      return; // not for us, or damaged: nothing to answer
    }
    if (message.t === 'pair-hello') this.#onHello(signal, message);
    else if (message.t === 'pair-grant' && this.partner?.from === signal.from) this.#onGrant(signal, message);
  }

  #onHello(signal, { eph, mac }) {
    const peerEphemeral = bytesOf(eph, 32);
    if (this.partner) return this.#reply(signal, { t: 'pair-refused', reason: 'busy' });
    if (!peerEphemeral || !codeProven(this.key, bytesOf(mac, 32), utf8Encode('hello'), peerEphemeral)) {
      this.wrongTries += 1;
      const tooMany = this.wrongTries >= MAX_WRONG_TRIES;
      this.#reply(signal, { t: 'pair-refused', reason: tooMany ? 'too_many_tries' : 'wrong_code' });
      if (tooMany) this.#end('failed', 'too_many_tries');
      return undefined;
    }
    const ephemeral = newEphemeral();
    const name = utf8Encode(this.deviceName);
    this.partner = {
      from: signal.from,
      session: sessionKey({ role: 'new', ephemeral, peerEphemeral, key: this.key }),
    };
    this.#reply(signal, {
      t: 'pair-accept', eph: textOf(ephemeral.publicKey), device: textOf(this.device.publicKey), name: this.deviceName,
      mac: textOf(proveCode(this.key, utf8Encode('accept'), peerEphemeral, ephemeral.publicKey, this.device.publicKey, name)),
    });
    this.#set('linking');
    return undefined;
  }

  // Each part says, inside its box, which it is: a relay cannot reorder or repeat them.
  #onGrant(signal, { box }) {
    let opened;
    try {
      opened = openBox(this.partner.session, box);
    } catch {
      return this.#end('failed', 'bad_grant');
    }
    const { part, parts, text } = opened ?? {};
    const fits = Number.isInteger(parts) && parts >= 1 && parts <= MAX_PARTS && Number.isInteger(part) && part >= 0 && part < parts
      && typeof text === 'string' && (this.#parts.length === 0 || this.#parts.length === parts);
    if (!fits) return this.#end('failed', 'bad_grant');
    if (this.#parts.length === 0) this.#parts = new Array(parts);
    this.#parts[part] = text;
    if (this.#parts.filter((piece) => piece !== undefined).length < parts) return undefined;
    let grant;
    try {
      grant = JSON.parse(this.#parts.join(''));
    } catch {
      return this.#end('failed', 'bad_grant');
    }
    if (!isGrant(grant, this.device.publicKey)) return this.#end('failed', 'bad_grant');
    this.#reply(signal, { t: 'pair-done', box: boxFor(this.partner.session, 'done') });
    this.resolve(grant);
    this.#end('done');
    return undefined;
  }
}

// On the device that holds the identity: find the new device by its code, prove the
// code, and hand over the grant for the device key it names.
export function linkDevice({ signaling, code, grantFor }) {
  if (signaling.state !== 'online') return Promise.reject(new PairingError('offline'));
  const key = pairingKey(code);
  const topic = textOf(pairingTopic(code));
  const ephemeral = newEphemeral();
  return new Promise((resolve, reject) => {
    let timer = null;
    let partner = null;
    const refusals = [];
    const asked = new Set();
    const finish = (error, value) => {
      clearTimeout(timer);
      unlisten();
      signaling.removeEventListener('peers', onPeers);
      signaling.removeEventListener('joined', onJoined);
      signaling.removeEventListener('left', onLeft);
      signaling.removeEventListener('server-error', onUnreachable);
      signaling.leave(topic);
      if (error) reject(error);
      else resolve(value);
    };
    const wait = (ms, code) => {
      clearTimeout(timer);
      timer = setTimeout(() => finish(new PairingError(refusals[0] ?? code)), ms);
    };
    const hello = (peer) => {
      if (asked.has(peer.id) || partner) return;
      asked.add(peer.id);
      signaling.sendSignal(topic, peer.id, sealPairing({
        v: 1, t: 'pair-hello', eph: textOf(ephemeral.publicKey),
        mac: textOf(proveCode(key, utf8Encode('hello'), ephemeral.publicKey)),
      }, fromBase64Url(peer.key, 32)));
      wait(ANSWER_MS, 'no_answer');
    };
    const onPeers = ({ detail }) => {
      if (detail.topic === topic) for (const peer of detail.peers ?? []) hello(peer);
    };
    const onJoined = ({ detail }) => {
      if (detail.topic === topic && detail.peer) hello(detail.peer);
    };
    // A device asked that leaves the topic before answering (its code ran out, or it
    // was closed) waits for nobody: once every one asked has gone or refused, no device
    // is waiting for this code. The server says so with `left`, or, when the hello came
    // after the leave, by not delivering it (`unreachable`).
    const gone = new Set();
    const onGone = (id) => {
      if (partner || !asked.has(id) || gone.has(id)) return;
      gone.add(id);
      if (gone.size + refusals.length >= asked.size) finish(new PairingError(refusals[0] ?? 'no_device'));
    };
    const onLeft = ({ detail }) => {
      if (detail.topic === topic) onGone(detail.id);
    };
    const onUnreachable = ({ detail }) => {
      if (detail.code === 'unreachable' && detail.ref === 'signal' && detail.topic === topic) onGone(detail.to);
    };
    const unlisten = listen(signaling, topic, (signal) => {
      let message;
      try {
        message = openPairing(signal.blob, signaling.connectionKeypair);
      } catch {
        return;
      }
      if (message.t === 'pair-refused' && REFUSALS.includes(message.reason)) {
        refusals.push(message.reason);
        if (refusals.length >= asked.size) finish(new PairingError(message.reason));
      } else if (message.t === 'pair-accept' && !partner) {
        const peerEphemeral = bytesOf(message.eph, 32);
        const device = bytesOf(message.device, 32);
        const name = typeof message.name === 'string' ? message.name : '';
        const proven = peerEphemeral && device && [...name].length >= 1 && [...name].length <= 64
          && codeProven(key, bytesOf(message.mac, 32), utf8Encode('accept'), ephemeral.publicKey, peerEphemeral, device, utf8Encode(name));
        if (!proven) return;
        partner = { from: signal.from, key: fromBase64Url(signal.key, 32), device, name };
        partner.session = sessionKey({ role: 'existing', ephemeral, peerEphemeral, key });
        const text = JSON.stringify(grantFor({ device, name }));
        const pieces = text.match(new RegExp(`[\\s\\S]{1,${PART_CHARACTERS}}`, 'g')) ?? [''];
        if (pieces.length > MAX_PARTS) return finish(new PairingError('too_large'));
        pieces.forEach((text, part) => signaling.sendSignal(topic, signal.from, sealPairing({
          v: 1, t: 'pair-grant', box: boxFor(partner.session, { part, parts: pieces.length, text }),
        }, partner.key)));
        wait(ANSWER_MS, 'no_answer');
      } else if (message.t === 'pair-done' && partner && signal.from === partner.from) {
        try {
          if (openBox(partner.session, message.box) !== 'done') return;
        } catch {
          return;
        }
        finish(null, { device: partner.device, name: partner.name });
      }
    });
    signaling.addEventListener('peers', onPeers);
    signaling.addEventListener('joined', onJoined);
    signaling.addEventListener('left', onLeft);
    signaling.addEventListener('server-error', onUnreachable);
    wait(FIND_DEVICE_MS, 'no_device');
    signaling.join(topic);
  });
}
