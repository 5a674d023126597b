// SideChannels: the channels besides `parley` that a peer may open on a link (docs/
// protocol.md §11), one of each known label for the link's life, held with the messages
// that arrive before their owner takes them (the owner takes one only once the link is
// ready, and those first messages must not be lost meanwhile).
//
//   const side = new SideChannels()
//   side.hold(channel) -> true (kept for its owner) | false (refused and closed)
//   side.take('parley-file') -> { channel, early } | null   once
export const SIDE_CHANNEL_LABELS = new Set(['parley-file']);
const MAX_EARLY_MESSAGES = 64;

export class SideChannels {
  #held = new Map(); // label -> { channel, early, hold }
  #seen = new Set(); // every label held so far: a second channel of one label is refused

  hold(channel) {
    const { label } = channel;
    if (!SIDE_CHANNEL_LABELS.has(label) || this.#seen.has(label)) {
      channel.close();
      return false;
    }
    this.#seen.add(label);
    channel.binaryType = 'arraybuffer';
    const held = { channel, early: [] };
    held.hold = ({ data }) => {
      if (held.early.length < MAX_EARLY_MESSAGES) held.early.push(data);
    };
    channel.addEventListener('message', held.hold);
    this.#held.set(label, held);
    return true;
  }

  take(label) {
    const held = this.#held.get(label);
    if (!held) return null;
    this.#held.delete(label);
    held.channel.removeEventListener('message', held.hold);
    return { channel: held.channel, early: held.early };
  }
}
