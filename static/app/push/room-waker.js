// The sender's half of waking (docs/protocol.md §10 "Waking"): after this device writes
// a `message` in a room, every other member whose latest `mailbox` entry wants it, and
// who has no ready link with us right now, gets a sealed wake through the server. In a
// big room, where this device links to a few members only (§6), only those mentioned:
// most members without a link to us are there all the same.
//
//   const waker = new RoomWaker({ identity, signaling })
//   await waker.afterOwnEntry(session, record)   -> number of wakes sent
//
// The server learns only a mailbox id and 1,072 opaque bytes; the limiter keeps a burst
// of messages to someone away down to one push a minute. With a blind mirror linked in
// the room that holds everything but this entry (docs/protocol.md §12) the wake goes to
// the mirror instead, which pushes it once it holds the entry: whoever is woken finds the
// message even if we have gone. A mirror that lags (full, or refusing an author) might
// never hold it, and its wake would be lost: then we wake them ourselves.
import { fromBase64Url, toBase64Url } from '../crypto/bytes.js';
import { identityId } from '../identity/identity.js';
import { mailboxId } from './mailbox-keys.js';
import { wakeKindFor } from './notify-levels.js';
import { buildWake } from './wake.js';
import { WakeLimiter } from './wake-limiter.js';
import { isPerson } from '../peers/swarm-peer.js';
import { mirrorStatus } from '../mirror/room-mirrors.js';

// Failures the user cannot act on, and that say nothing is wrong with this device.
const QUIET_FAILURES = new Set(['wake_rate_limited', 'offline', 'timeout']);

// The mirror linked in the room whose heads lack nothing but, at most, this entry.
function keepingUp(session) {
  const held = new Map(mirrorStatus(session).map(({ id, behind }) => [id, behind]));
  return session.swarm.readyPeers().find((peer) => peer.isMirror && (held.get(identityId(peer.identity)) ?? 2) <= 1) ?? null;
}

export class RoomWaker {
  constructor({ identity, signaling, limiter = new WakeLimiter(), now = () => Date.now(), log = console }) {
    this.identity = identity;
    this.selfId = identityId(identity.publicKey);
    this.personId = identity.person ?? this.selfId; // a linked device's person (§13)
    this.signaling = signaling;
    this.limiter = limiter;
    this.now = now;
    this.log = log;
  }

  // Whom to wake for this record: [{ member, mailbox (bytes), kind }].
  recipients(session, record) {
    if (record.author !== this.selfId || record.body?.type !== 'message') return [];
    const linked = new Set(session.swarm.readyPeers().filter(isPerson)
      .filter((peer) => peer.identity)
      .map((peer) => identityId(peer.identity)));
    const chosen = [];
    const big = session.isBig();
    // Mailboxes are a device's each; names, leaving and roles are its person's.
    for (const [member, { mailbox, notify }] of session.view.mailboxes) {
      const person = session.personOf?.(member) ?? member;
      if (person === this.personId || linked.has(member) || session.view.left?.has(person)) continue;
      if (session.view.moderation?.roleOf(person) === 'removed') continue; // not theirs to read
      // The name they chose, as typed after an "@" (not the "Bob (k3Xa)" a room shows).
      const kind = wakeKindFor(notify, record.body.text, session.view.names.get(person) ?? session.memberName(person));
      if (!kind || (big && kind !== 'mention')) continue;
      chosen.push({ member, mailbox: fromBase64Url(mailbox, 32), kind });
    }
    return chosen;
  }

  async afterOwnEntry(session, record) {
    const topic = session.room.topic;
    const mirror = keepingUp(session);
    let sent = 0;
    for (const { member, mailbox, kind } of this.recipients(session, record)) {
      if (!this.limiter.take(`${topic}|${member}`)) continue;
      let blob;
      try {
        blob = buildWake({
          identity: this.identity, mailboxPublicKey: mailbox, room: topic, kind,
          text: record.body.text, now: this.now(),
        });
      } catch {
        continue; // a "mailbox" that is not a curve point: nobody can be woken there
      }
      if (mirror && session.swarm.sendTo(mirror, { t: 'wake', entry: record.id, mailbox: toBase64Url(mailboxId(mailbox)), blob })) {
        sent++;
        continue;
      }
      try {
        await this.signaling.wake(toBase64Url(mailboxId(mailbox)), blob);
        sent++;
      } catch (error) {
        // Not even sent (no server connection): the next message may try again.
        if (error.code === 'offline') this.limiter.giveBack(`${topic}|${member}`);
        if (!QUIET_FAILURES.has(error.code)) this.log.warn(`wake not sent: ${error.code ?? error}`);
      }
    }
    return sent;
  }
}
