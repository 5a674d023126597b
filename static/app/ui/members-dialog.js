// Who is in the room: their role, online now or when this device last saw them, who
// left or was removed. From RoomSession.memberList(), searched and shown a page at a
// time (a big room has thousands); each person opens their safety number. An admin
// names roles and removes members, a moderator removes members (docs/protocol.md §7
// "Moderation"): what this identity may do is all that is offered.
import { matchesMember } from '../room/member-list.js';
import { openContactDialog } from './contact-dialog.js';
import { askToConfirm } from './dialogs.js';
import { h, replaceChildren } from './dom.js';
import { plural, shortWhen } from './format.js';
import { avatar } from './sidebar-view.js';

export const MEMBERS_PAGE = 50;
const ROLE_LABELS = { admin: 'Admin', moderator: 'Moderator' };

export function openMembersDialog({ app, session, roomName }) {
  let shown = MEMBERS_PAGE;
  const heading = h('h2', { 'data-testid': 'members-count' });
  const search = h('input', {
    type: 'search', class: 'member-search', placeholder: 'Search by name', 'aria-label': 'Search members',
    'data-testid': 'member-search', oninput: () => {
      shown = MEMBERS_PAGE;
      draw();
    },
  });
  const list = h('ul', { class: 'member-list' });
  const error = h('p', { class: 'form-error', role: 'alert', 'data-testid': 'members-error' });
  let drawn = null; // what the list shows: drawn again only when that changes
  const more = h('button', {
    type: 'button', class: 'button members-more', 'data-testid': 'members-more', onclick: () => {
      shown += MEMBERS_PAGE;
      draw();
    },
  });
  const act = (work) => work.then(() => {
    error.textContent = '';
  }, (failure) => {
    error.textContent = failure.message === 'catching_up'
      ? 'Not yet: this device is still getting your earlier messages back.'
      : 'That did not go through. Try again.';
  });
  const draw = () => {
    const members = session.memberList();
    const present = members.filter((member) => !member.left && member.role !== 'removed');
    heading.textContent = plural(present.length, 'member');
    const matching = members.filter((member) => matchesMember(member, search.value));
    const powers = session.moderation.powers();
    const page = matching.slice(0, shown);
    // Presence and typing change all the time; an open "Manage…" must not close for it.
    const showing = JSON.stringify([search.value, powers.role, page.map((m) => [m.id, m.name, m.role, m.online, m.left, m.lastSeen])]);
    if (showing !== drawn) {
      drawn = showing;
      replaceChildren(list, matching.length
        ? page.map((member) => memberItem({ app, session, member, powers, act }))
        : [h('li', { class: 'member-none', 'data-testid': 'members-none' }, `Nobody here is called “${search.value.trim()}”`)]);
    }
    more.hidden = matching.length <= shown;
    more.textContent = `Show ${Math.min(MEMBERS_PAGE, matching.length - shown)} more of ${matching.length - shown}`;
  };
  const dialog = h('dialog', { class: 'dialog members-dialog', 'data-testid': 'members-dialog', 'aria-label': `Members of ${roomName}` },
    h('form', { method: 'dialog', class: 'dialog-form' },
      heading, search, list, more, error,
      h('div', { class: 'dialog-actions' },
        h('button', { class: 'button primary', type: 'submit' }, 'Close'))));
  // Roles and presence change while it is open.
  const onChange = () => draw();
  session.addEventListener('change', onChange);
  dialog.addEventListener('close', () => {
    session.removeEventListener('change', onChange);
    dialog.remove();
  });
  draw();
  document.body.append(dialog);
  dialog.showModal();
  return dialog;
}

function memberItem({ app, session, member, powers, act }) {
  return h('li', {
    class: 'member', 'data-testid': 'member',
    dataset: { online: String(member.online), left: String(member.left), role: member.role, id: member.id },
  },
  avatar(member.name, member.id),
  h('button', {
    type: 'button', class: 'link-button member-name',
    onclick: () => openContactDialog({ app, id: member.id, name: member.name }),
  }, member.self ? `${member.name} (you)` : member.name),
  ROLE_LABELS[member.role] ? h('span', { class: `role-badge role-${member.role}`, 'data-testid': 'member-role' }, ROLE_LABELS[member.role]) : null,
  h('span', { class: 'member-state', 'data-testid': 'member-state' }, memberState(member)),
  memberActions({ session, member, powers, act }));
}

function memberState({ self, online, lastSeen, left, role }) {
  if (role === 'removed') return 'removed';
  if (left) return 'left';
  if (self || online) return 'online';
  return lastSeen ? `last seen ${shortWhen(lastSeen).replace('Yesterday', 'yesterday')}` : 'not seen yet';
}

// A native select: keyboard and screen readers work without extra code.
function memberActions({ session, member, powers, act }) {
  if (member.self || member.role === 'removed') return null;
  const choices = [];
  if (powers.namesRoles) {
    if (member.role !== 'admin') choices.push(['admin', 'Make admin']);
    if (member.role !== 'moderator') choices.push(['moderator', 'Make moderator']);
    if (member.role !== 'member') choices.push(['member', 'Take role away']);
  }
  if (powers.removes(member.id)) choices.push(['remove', 'Remove from room…']);
  if (!choices.length) return null;
  const select = h('select', {
    class: 'member-actions', 'aria-label': `Manage ${member.name}`, 'data-testid': 'member-actions',
    onchange: async () => {
      const choice = select.value;
      select.value = '';
      if (choice === 'remove') await removeMember(session, member, act);
      else if (choice) await act(session.moderation.setRole(member.id, choice));
    },
  }, h('option', { value: '' }, 'Manage…'), choices.map(([value, label]) => h('option', { value }, label)));
  return select;
}

async function removeMember(session, member, act) {
  const confirmed = await askToConfirm({
    title: `Remove ${member.name}?`,
    text: `Everyone in the room, and the room's mirror, will refuse what ${member.name} writes from now on; what they wrote before stays. This cannot be undone. They keep the room's invite secret and can still read it: to shut them out, start a new room.`,
    confirmLabel: 'Remove', testid: 'remove-member-dialog',
  });
  if (confirmed) await act(session.moderation.removeMember(member.id));
}
