// FileCard: a file offer in the conversation (docs/protocol.md §11) — name, size, type,
// an image preview once the file is here, progress with speed and time left, the state
// in words, and pause / resume / cancel / save. The card is one long-lived element per
// file: the message around it can be rebuilt, the card only updates itself.
//
//   const card = new FileCard({ manager, offer, mine })
//   card.el; card.update()   // ChatView calls update when the manager says the file changed
import { isViewableImage } from '../files/offer-fields.js';
import { h, replaceChildren } from './dom.js';
import { byteSize, plural, timeLeft } from './format.js';
import { fileReasonText } from './reasons.js';

const PREVIEW_MAX_BYTES = 64 * 1024 * 1024;
const MIN_UPDATE_MS = 200;
// Failures that trying again would not mend.
const FOR_GOOD = ['too_large', 'no_storage', 'newer_format'];

const STATE_TEXT = {
  offered: 'Not downloaded yet',
  asking: 'Asking the people online who has it…',
  waiting: 'Waiting for someone who has it to come online',
  verifying: 'Verifying…',
  paused: 'Paused',
  cancelled: 'Cancelled',
};

export class FileCard {
  constructor({ manager, offer, mine }) {
    this.manager = manager;
    this.offer = offer;
    this.mine = mine;
    this.lastUpdate = 0;
    this.updateTimer = null;
    this.saved = null; // { file, url } once loaded
    this.preview = h('div', { class: 'file-preview-slot' });
    this.progress = h('progress', { class: 'file-progress', max: 1, value: 0, 'data-testid': 'file-progress', 'aria-label': `Progress of ${offer.name}` });
    this.status = h('p', { class: 'file-status', 'data-testid': 'file-status' });
    this.details = h('p', { class: 'file-details', 'data-testid': 'file-details' });
    // The counters are there for whoever wants them, folded away: the status line says
    // what matters in words.
    this.moreInfo = h('details', { class: 'file-more' }, h('summary', {}, 'Details'), this.details);
    this.actions = h('div', { class: 'file-actions' });
    this.el = h('div', { class: 'file-card', 'data-testid': 'file-card', dataset: { root: offer.root, name: offer.name } },
      this.preview,
      h('div', { class: 'file-row' },
        h('span', { class: `file-icon kind-${kindOf(offer.mime)}`, 'aria-hidden': 'true' }, badgeOf(offer)),
        h('div', { class: 'file-info' },
          h('strong', { class: 'file-name', 'data-testid': 'file-name', title: offer.name }, offer.name),
          h('span', { class: 'file-meta' }, [byteSize(offer.size), typeLabel(offer)].filter(Boolean).join(' · ')))),
      this.progress, this.status, this.moreInfo, this.actions);
    this.update({ now: true });
  }

  // Progress events come per chunk: the card redraws at most every 200 ms.
  update({ now = false } = {}) {
    const wait = MIN_UPDATE_MS - (performance.now() - this.lastUpdate);
    if (!now && wait > 0) {
      this.updateTimer ??= setTimeout(() => {
        this.updateTimer = null;
        this.update({ now: true });
      }, wait);
      return;
    }
    this.lastUpdate = performance.now();
    const status = this.manager?.status(this.offer.root) ?? { state: 'waiting', held: 0, count: 1, size: this.offer.size };
    this.#render(status);
  }

  #render(s) {
    const { dataset } = this.el;
    dataset.state = s.state;
    dataset.reason = s.reason ?? '';
    dataset.held = String(s.held ?? 0);
    dataset.count = String(s.count ?? 0);
    dataset.received = String(s.received ?? 0);
    dataset.duplicates = String(s.duplicates ?? 0);
    dataset.rejected = String(s.rejected ?? 0);
    dataset.ignored = String(s.ignored ?? 0);
    dataset.banned = String(s.banned?.length ?? 0);
    const fraction = s.count ? s.held / s.count : 0;
    const percent = Math.floor(fraction * 100);
    this.progress.value = fraction;
    this.progress.hidden = ['done', 'offered', 'cancelled'].includes(s.state)
      || (s.state === 'failed' && FOR_GOOD.includes(s.reason)); // nothing was or will be fetched
    this.status.textContent = this.#statusText(s, percent);
    this.details.textContent = this.#detailsText(s);
    this.moreInfo.hidden = !this.details.textContent;
    this.#renderActions(s);
    if (s.state === 'done') this.#loadFile();
  }

  // The numbers behind the bar, for the curious (and the tests): chunks fetched, how
  // many came twice or were rejected, how many this device served to others.
  #detailsText(s) {
    const parts = [];
    if (s.role === 'receiver' && s.received) {
      parts.push(`${plural(s.received, 'chunk')} received, ${s.duplicates} twice`);
      if (s.rejected) parts.push(`${s.rejected} rejected`);
      if (s.ignored) parts.push(`${s.ignored} unasked`);
      // The peer is named: the user should know whose copy is damaged (or forged).
      if (s.banned?.length) parts.push(`not asking ${s.banned.join(', ')} again: damaged parts`);
    }
    if (s.served) parts.push(`${plural(s.served, 'chunk')} sent to others`);
    return parts.join(' · ');
  }

  #statusText(s, percent) {
    switch (s.state) {
      case 'done':
        return s.role === 'sender' ? 'Shared with the room' : 'Done';
      case 'transferring': {
        const parts = [`${percent}%`, `${byteSize(s.bytes)} of ${byteSize(s.size)}`];
        if (s.speed > 0) parts.push(`${byteSize(s.speed)}/s`);
        if (s.eta !== null && s.eta !== undefined) parts.push(timeLeft(s.eta));
        return parts.join(' · ');
      }
      case 'paused':
        return `Paused at ${percent}%`;
      case 'failed':
        // Not a failure: this version cannot fetch it yet.
        if (s.reason === 'newer_format') return 'Sent from a newer version of Parley: update Parley (reload the page) to get it.';
        return `Failed: ${fileReasonText(s.reason)}`;
      default:
        return STATE_TEXT[s.state] ?? s.state;
    }
  }

  #renderActions(s) {
    const key = `${s.state}|${Boolean(this.saved?.url)}`;
    if (this.actionsKey === key) return;
    this.actionsKey = key;
    const root = this.offer.root;
    const button = (label, testid, onclick, primary = false) =>
      h('button', { type: 'button', class: `button small${primary ? ' primary' : ''}`, 'data-testid': testid, onclick }, label);
    const buttons = [];
    if (['asking', 'waiting', 'transferring'].includes(s.state)) {
      buttons.push(button('Pause', 'file-pause', () => this.manager.pause(root)));
    }
    if (s.state === 'paused') buttons.push(button('Resume', 'file-resume', () => this.manager.resume(root), true));
    if (['asking', 'waiting', 'transferring', 'paused'].includes(s.state)) {
      buttons.push(button('Cancel', 'file-cancel', () => this.manager.cancel(root)));
    }
    if (s.state === 'offered' || s.state === 'cancelled') {
      buttons.push(button('Download', 'file-download', () => this.manager.download(root), true));
    }
    if (s.state === 'failed' && s.role !== 'sender' && !FOR_GOOD.includes(s.reason)) {
      buttons.push(button('Try again', 'file-retry', () => this.manager.download(root), true));
    }
    if (s.state === 'done' && this.saved?.url) {
      // A link to the stored file itself: the browser copies it to disk, nothing is
      // built in memory.
      buttons.push(h('a', {
        class: 'button small primary', href: this.saved.url, download: this.offer.name, 'data-testid': 'file-save',
      }, 'Save'));
    }
    replaceChildren(this.actions, buttons);
  }

  async #loadFile() {
    if (this.saved || this.loading) return;
    this.loading = true;
    try {
      this.saved = await this.manager.fileOf(this.offer.root);
    } catch (error) {
      console.warn('parley: the stored file cannot be opened', error);
    }
    this.loading = false;
    if (!this.saved) return;
    if (isViewableImage(this.offer.mime) && this.offer.size <= PREVIEW_MAX_BYTES) {
      replaceChildren(this.preview, h('a', { href: this.saved.url, target: '_blank', rel: 'noopener', class: 'file-preview-link' },
        h('img', { class: 'file-preview', src: this.saved.url, alt: this.offer.name, 'data-testid': 'file-preview', decoding: 'async' })));
    }
    this.update({ now: true });
  }

  destroy() {
    clearTimeout(this.updateTimer);
  }
}

function kindOf(mime) {
  const [type] = String(mime).split('/');
  if (['image', 'video', 'audio', 'text'].includes(type)) return type;
  if (/zip|compressed|tar|rar|7z/.test(mime)) return 'archive';
  if (/pdf/.test(mime)) return 'pdf';
  return 'file';
}

// The extension, short enough for the badge, or the kind of file.
function badgeOf(offer) {
  const dot = offer.name.lastIndexOf('.');
  const extension = dot > 0 ? offer.name.slice(dot + 1) : '';
  if (extension && extension.length <= 4 && /^[\p{L}\p{N}]+$/u.test(extension)) return extension.toUpperCase();
  return { image: 'IMG', video: 'VID', audio: 'AUD', text: 'TXT', archive: 'ZIP', pdf: 'PDF', file: 'FILE' }[kindOf(offer.mime)];
}

function typeLabel(offer) {
  const dot = offer.name.lastIndexOf('.');
  const extension = dot > 0 && dot > offer.name.length - 8 ? offer.name.slice(dot + 1).toUpperCase() : '';
  const kind = { image: 'image', video: 'video', audio: 'audio', text: 'text', archive: 'archive', pdf: 'document', file: 'file' }[kindOf(offer.mime)];
  return extension ? `${extension} ${kind}` : kind;
}
