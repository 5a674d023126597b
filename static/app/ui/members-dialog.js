// Who is in the room: online now, or when this device last saw them; who left. From
// RoomSession.memberList(); each person opens their safety number.
import { openContactDialog } from './contact-dialog.js';
import { h } from './dom.js';
import { shortWhen } from './format.js';
import { avatar } from './sidebar-view.js';

export function openMembersDialog({ app, session, roomName }) {
  const members = session.memberList();
  const present = members.filter((member) => !member.left);
  const dialog = h('dialog', { class: 'dialog members-dialog', 'data-testid': 'members-dialog', 'aria-label': `Members of ${roomName}` },
    h('form', { method: 'dialog', class: 'dialog-form' },
      h('h2', {}, `${present.length} ${present.length === 1 ? 'member' : 'members'}`),
      h('ul', { class: 'member-list' }, members.map((member) => h('li', {
        class: 'member', 'data-testid': 'member', dataset: { online: String(member.online), left: String(member.left) },
      },
      avatar(member.name, member.id),
      h('button', {
        type: 'button', class: 'link-button member-name',
        onclick: () => openContactDialog({ app, id: member.id, name: member.name }),
      }, member.self ? `${member.name} (you)` : member.name),
      h('span', { class: 'member-state', 'data-testid': 'member-state' }, memberState(member))))),
      h('div', { class: 'dialog-actions' },
        h('button', { class: 'button primary', type: 'submit' }, 'Close'))));
  dialog.addEventListener('close', () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
  return dialog;
}

function memberState({ self, online, lastSeen, left }) {
  if (left) return 'left';
  if (self || online) return 'online';
  return lastSeen ? `last seen ${shortWhen(lastSeen).replace('Yesterday', 'yesterday')}` : 'not seen yet';
}
