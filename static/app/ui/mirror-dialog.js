// "Keep this room available when everyone is offline" (docs/protocol.md §12): what a
// blind mirror is, which mirrors hold the room and how far each is in sync, and the one
// button that asks the server's mirror service to keep the room, or to let it go.
//
//   openMirrorDialog({ app, topic })
import { mirrorStatus, MIRROR_ERRORS } from '../mirror/room-mirrors.js';
import { h, replaceChildren } from './dom.js';

export function openMirrorDialog({ app, topic }) {
  const room = app.rooms.get(topic);
  const session = app.session(topic);
  const list = h('ul', { class: 'mirror-list', 'data-testid': 'mirror-list' });
  const problem = h('p', { class: 'dialog-error', role: 'alert', 'data-testid': 'mirror-error', hidden: true });
  const action = h('button', { type: 'button', class: 'button primary', 'data-testid': 'mirror-action' });
  const dialog = h('dialog', { class: 'dialog mirror-dialog', 'data-testid': 'mirror-dialog', 'aria-label': 'Offline availability' },
    h('form', { method: 'dialog', class: 'dialog-form' },
      h('h2', {}, 'Available when everyone is offline'),
      h('p', { class: 'dialog-explanation' },
        'A mirror keeps an encrypted copy of this room and hands it to members who come online while nobody else is. It cannot read messages or files, and it cannot write to the room.'),
      list, problem,
      h('div', { class: 'dialog-actions' },
        h('button', { class: 'button', type: 'submit' }, 'Close'),
        action)));

  const render = () => {
    const linked = mirrorStatus(session, app.transfers(topic));
    const own = room.mirrored && !linked.some((mirror) => mirror.id === room.mirrored.id)
      ? [{ id: room.mirrored.id, ready: false, behind: null }] : [];
    const mirrors = [...linked, ...own];
    replaceChildren(list, mirrors.length ? mirrors.map((mirror) => h('li', {
      class: 'mirror', 'data-testid': 'mirror', dataset: { ready: String(mirror.ready), behind: String(mirror.behind ?? '') },
    },
    h('span', { class: 'mirror-name' }, mirror.id === room.mirrored?.id ? 'This server’s mirror' : 'A mirror'),
    h('span', { class: 'mirror-state', 'data-testid': 'mirror-state' }, mirrorState(mirror))))
      : [h('li', { class: 'mirror-empty' }, 'No mirror holds this room. Messages reach members only while someone who has them is online.')]);
    action.textContent = room.mirrored ? 'Stop keeping it' : 'Keep this room available';
    action.dataset.op = room.mirrored ? 'drop' : 'hold';
  };

  action.addEventListener('click', async () => {
    action.disabled = true;
    problem.hidden = true;
    const result = room.mirrored ? await app.mirrors.drop(room) : await app.mirrors.hold(room);
    action.disabled = false;
    if (!result.ok) {
      problem.textContent = MIRROR_ERRORS[result.error] ?? MIRROR_ERRORS.malformed;
      problem.hidden = false;
    }
    render();
  });
  const onChange = () => render();
  session.addEventListener('change', onChange);
  app.transfers(topic)?.addEventListener('change', onChange);
  dialog.addEventListener('close', () => {
    session.removeEventListener('change', onChange);
    app.transfers(topic)?.removeEventListener('change', onChange);
    dialog.remove();
  });
  render();
  document.body.append(dialog);
  dialog.showModal();
  return dialog;
}

function mirrorState({ ready, behind }) {
  if (!ready) return 'asked to keep it · not linked right now';
  return behind === 0 ? 'linked · holds everything' : `linked · catching up (${behind} to go)`;
}
