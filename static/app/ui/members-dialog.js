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
  const more = h('button', {
    type: 'button', class: 'button members-more', 'data-testid': 'members-more', onclick: () => {
      shown += MEMBERS_PAGE;
      draw();
    },
  });
  const draw = () => {
    const members = session.memberList();
    const present = members.filter((member) => !member.left && member.role !== 'removed');
    heading.textContent = plural(present.length, 'member');
    const matching = members.filter((member) => matchesMember(member, search.value));
    const powers = session.moderation.powers();
    replaceChildren(list, matching.length
      ? matching.slice(0, shown).map((member) => memberItem({ app, session, member, powers }))
      : [h('li', { class: 'member-none', 'data-testid': 'members-none' }, `Nobody here is called “${search.value.trim()}”`)]);
    more.hidden = matching.length <= shown;
    more.textContent = `Show ${Math.min(MEMBERS_PAGE, matching.length - shown)} more of ${matching.length - shown}`;
  };
  const dialog = h('dialog', { class: 'dialog members-dialog', 'data-testid': 'members-dialog', 'aria-label': `Members of ${roomName}` },
    h('form', { method: 'dialog', class: 'dialog-form' },
      heading, search, list, more,
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

function memberItem({ app, session, member, powers }) {
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
  memberActions({ session, member, powers }));
}

function memberState({ self, online, lastSeen, left, role }) {
  if (role === 'removed') return 'removed';
  if (left) return 'left';
  if (self || online) return 'online';
  return lastSeen ? `last seen ${shortWhen(lastSeen).replace('Yesterday', 'yesterday')}` : 'not seen yet';
}

// A native select: keyboard and screen readers work without extra code.
function memberActions({ session, member, powers }) {
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
      if (choice === 'remove') await removeMember(session, member);
      else if (choice) await session.moderation.setRole(member.id, choice);
    },
  }, h('option', { value: '' }, 'Manage…'), choices.map(([value, label]) => h('option', { value }, label)));
  return select;
}

async function removeMember(session, member) {
  const confirmed = await askToConfirm({
    title: `Remove ${member.name}?`,
    text: `Everyone in the room, and the room's mirror, will refuse what ${member.name} writes from now on. What they wrote before stays. This cannot be undone.`,
    confirmLabel: 'Remove', testid: 'remove-member-dialog',
  });
  if (confirmed) await session.moderation.removeMember(member.id);
}
