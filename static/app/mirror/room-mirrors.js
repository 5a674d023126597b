// This device's dealings with the server's blind mirror service (docs/protocol.md §12):
// where it is, asking it to keep a room or to forget it, and how far each mirror linked
// in a room holds what this device holds.
//
//   const mirrors = new RoomMirrors({ signaling, store })
//   await mirrors.service()          -> { key, id } | null      (GET /mirror, once)
//   await mirrors.hold(room)         -> { ok: true } | { ok: false, error }
//   await mirrors.drop(room)         -> the same; room.mirrored is kept on the room record
//   mirrorStatus(session, transfers) -> [{ id, ready, behind }] one per mirror linked now
import { fromBase64Url, toBase64Url } from '../crypto/bytes.js';
import { sodiumReady } from '../crypto/sodium.js';
import { MirrorAskFailed } from '../signaling/client.js';
import { MirrorReplyError, openReply, sealRequest } from './mirror-request.js';

await sodiumReady;

const MAX_ANSWER_CHARACTERS = 1024;

// Errors a user sees, by code: the service's reply codes (§12), the server's, and ours.
export const MIRROR_ERRORS = Object.freeze({
  no_service: 'This server has no mirror service.',
  no_mirror: 'The mirror service is not running right now. Try again later.',
  full: 'The mirror is full: it takes no new rooms.',
  wrong_key: 'The mirror holds a room at this address under other keys, so it refused.',
  not_held: 'The mirror does not hold this room.',
  stale: 'The mirror refused the request as out of date: check this device’s clock, and try again.',
  failed: 'The mirror could not do it just now. Try again later.',
  malformed: 'The mirror could not read the request.',
  timeout: 'The mirror did not answer. Check your connection and try again.',
  offline: 'Not connected to the server. Try again once you are online.',
  server_error: 'The server’s answer about its mirror made no sense.',
});

export class RoomMirrors {
  #signaling;
  #store;
  #fetch;
  #service = null; // the promise of GET /mirror, once it succeeded or said "none"
  #serviceId = null;

  constructor({ signaling, store, fetchImpl = (...args) => globalThis.fetch(...args) }) {
    this.#signaling = signaling;
    this.#store = store;
    this.#fetch = fetchImpl;
  }

  service() {
    this.#service ??= this.#askService().then((service) => {
      this.#serviceId = service?.id ?? null;
      return service;
    }, (error) => {
      this.#service = null; // asked again next time
      throw error;
    });
    return this.#service;
  }

  // Whether an identity key is the server's mirror (known once service() has answered).
  isService(identity) {
    return this.#serviceId !== null && toBase64Url(identity) === this.#serviceId;
  }

  async #askService() {
    const response = await this.#fetch('/mirror', { credentials: 'omit', cache: 'no-store' });
    if (Number(response.headers.get('content-length') ?? 0) > MAX_ANSWER_CHARACTERS) throw new Error('server_error');
    const text = await response.text();
    if (!response.ok || text.length > MAX_ANSWER_CHARACTERS) throw new Error('server_error');
    const answer = JSON.parse(text);
    if (answer?.mirror === null) return null;
    const id = answer?.mirror?.key;
    const key = fromBase64Url(id, 32);
    return { key, id: toBase64Url(key) };
  }

  hold(room) {
    return this.#ask('hold', room);
  }

  drop(room) {
    return this.#ask('drop', room);
  }

  async #ask(op, room) {
    let service;
    try {
      service = await this.service();
    } catch {
      return { ok: false, error: 'server_error' };
    }
    if (!service) return { ok: false, error: 'no_service' };
    const blob = sealRequest({ op, keys: room.keys, founder: room.founder ?? null, mirrorKey: service.key });
    let reply;
    try {
      const answer = await this.#signaling.askMirror(blob);
      reply = openReply(answer.blob, answer.keypair);
    } catch (error) {
      if (error instanceof MirrorAskFailed) return { ok: false, error: error.code };
      if (error instanceof MirrorReplyError) return { ok: false, error: 'malformed' };
      throw error;
    }
    // A late reply to an earlier request (for another room) is no answer to this one.
    if (reply.topic !== null && reply.topic !== room.topic) return { ok: false, error: 'malformed' };
    if (reply.ok || (op === 'drop' && reply.error === 'not_held')) {
      if (op === 'hold') room.mirrored = { id: service.id, since: Date.now() };
      else delete room.mirrored;
      await this.#store.saveRoom(room);
      return { ok: true };
    }
    return { ok: false, error: reply.error };
  }
}

// How far each mirror linked now holds the room: entries this device holds that the
// mirror's heads do not cover yet, and files held whole here that it does not hold whole
// (0: it holds everything this device does).
export function mirrorStatus(session, transfers = null) {
  return session.swarm.readyPeers().filter((peer) => peer.isMirror).map((peer) => {
    const heads = session.replicators.get(peer)?.remoteHeads ?? new Map();
    let behind = 0;
    for (const { author, length } of session.log.heads()) {
      behind += Math.max(0, length - (heads.get(author)?.length ?? 0));
    }
    behind += transfers?.filesMirrorLacks(peer.connectionId) ?? 0;
    return { id: toBase64Url(peer.identity), ready: true, behind };
  });
}
