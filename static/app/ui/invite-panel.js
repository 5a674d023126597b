// The open room's invite: its link to copy, to hand to the system share sheet where the
// browser has one, or to show as a QR code; and the header button that opens it.
//
//   const invite = new InvitePanel(); header.append(invite.toggle); page.append(invite.el)
//   invite.show(room)       the room's link (kept while it stays the same link)
//   invite.setOpen(open)
import { inviteLink } from '../room/rooms.js';
import { h, replaceChildren } from './dom.js';
import { qrCanvas } from './qr-canvas.js';
import { copyButton } from './sidebar-view.js';

export class InvitePanel {
  constructor() {
    this.link = null;
    this.el = h('section', { class: 'invite-panel', hidden: true, 'aria-label': 'Invite link' });
    this.toggle = h('button', {
      class: 'button', type: 'button', 'data-testid': 'invite-button',
      'aria-expanded': 'false', onclick: () => this.setOpen(this.el.hidden),
    }, 'Invite');
  }

  setOpen(open) {
    this.el.hidden = !open;
    this.toggle.setAttribute('aria-expanded', String(open));
  }

  show(room) {
    const link = inviteLink(room, location.origin);
    if (link === this.link) return; // keep a selection the user is making
    this.link = link;
    const field = h('input', {
      class: 'invite-link', readOnly: true, value: link, 'data-testid': 'invite-link',
      'aria-label': 'Invite link', onfocus: (event) => event.target.select(),
    });
    // The code is drawn when first asked for: most people copy or share the link.
    const qrSlot = h('div', { class: 'invite-qr', hidden: true });
    const qrToggle = h('button', {
      class: 'button', type: 'button', 'data-testid': 'invite-qr-toggle', 'aria-expanded': 'false',
      onclick: () => {
        if (!qrSlot.firstChild) qrSlot.append(qrCanvas(link, { label: `QR code of the invite to ${room.name}` }));
        qrSlot.hidden = !qrSlot.hidden;
        qrToggle.setAttribute('aria-expanded', String(!qrSlot.hidden));
      },
    }, 'QR code');
    const share = navigator.share ? h('button', {
      class: 'button', type: 'button', 'data-testid': 'invite-share',
      onclick: () => navigator.share({ title: `Join ${room.name} on Parley`, url: link }).catch(() => {}),
    }, 'Share…') : null;
    replaceChildren(this.el,
      h('p', {}, 'Anyone with this link can join the room and read its history. The secret part after # never reaches the server.'),
      h('div', { class: 'invite-row' }, field, copyButton(link, 'Copy link'), share, qrToggle),
      qrSlot);
  }
}
