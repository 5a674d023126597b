// What stands between the user and writing in the open room, and says why: a verified
// person's name on a new key (the modal ui/key-change-dialog.js), two people under one
// name (ui/name-clash-notice.js, blocks nothing), this identity open in another browser
// that the room now talks to (peers/device-twins.js), a restored device that has
// not yet got its own earlier messages back, and the room's moderation: removed, only
// moderators post, slow mode (room/room-powers.js; counted down once a second).
//
//   const guards = new RoomGuards({ app, onEditName, onTick })
//   guards.el                                   the notices, above the conversation
//   guards.update(topic, session) -> why the composer is blocked, or null
import { h } from './dom.js';
import { KeyChangeDialog } from './key-change-dialog.js';
import { NameClashNotice } from './name-clash-notice.js';

// Short: they stand in the composer's one line, on a phone too.
const POSTING_BLOCKS = {
  removed: () => 'Removed from this room',
  moderators_only: () => 'Only moderators post here',
  slow_mode: (seconds) => `Slow mode: ${seconds}\u00a0s to go`,
};

export class RoomGuards {
  constructor({ app, onEditName, onTick = () => {} }) {
    this.app = app;
    this.topic = null;
    this.onTick = onTick;
    this.tick = null;
    const onAcknowledge = (newId) => this.app.acknowledgeKey(this.topic, newId);
    this.keyChange = new KeyChangeDialog({ app, onAcknowledge });
    this.nameClash = new NameClashNotice({ app, onAcknowledge, onEditName });
    this.elsewhere = h('div', { class: 'warning', role: 'status', 'data-testid': 'open-elsewhere', hidden: true },
      h('p', {}, 'Your identity is open in another browser too, and the people in this room now reach you there. This browser writes nothing here meanwhile, so your history does not split in two; it reconnects by itself when the other one closes.'));
    this.el = h('div', { class: 'room-guards' }, this.elsewhere, this.nameClash.el);
  }

  update(topic, session) {
    this.topic = topic;
    const conflicts = this.app.nameConflicts(topic);
    const loud = conflicts.find((conflict) => this.app.isVerified(conflict.knownId));
    this.keyChange.update(loud ?? null);
    this.nameClash.update(conflicts.filter((conflict) => conflict !== loud));
    const elsewhere = session.swarm?.twins.superseded ?? false;
    this.elsewhere.hidden = !elsewhere;
    if (this.app.leaving.has(topic)) return 'Leaving this room…';
    if (loud) return 'Read the safety warning first';
    if (elsewhere) return 'Open in another browser: write from there, or close it';
    const posting = this.#postingBlock(session);
    if (posting) return posting;
    return session.canWrite() ? null : 'Getting your earlier messages back from the others…';
  }

  #postingBlock(session) {
    clearTimeout(this.tick);
    const now = Date.now();
    const block = session.moderation?.postingBlock(now);
    if (!block) return null;
    if (block.until) this.tick = setTimeout(() => this.onTick(), Math.min(1000, block.until - now));
    return POSTING_BLOCKS[block.reason](Math.ceil((block.until - now) / 1000));
  }
}
