// On a touch screen a message's actions (react, reply, edit, delete) take no room until
// asked for: a long press on the message shows them, a tap elsewhere hides them. With a
// mouse they show on hover, with a keyboard on focus (style.css).
//
//   touchActions(list)   list: the element holding the messages
const PRESS_MS = 450;
const SLOP_PX = 10; // a finger that moves this far is scrolling, not pressing

export function touchActions(list) {
  let press = null;
  const cancel = () => {
    clearTimeout(press?.timer);
    press = null;
  };
  const openOn = (message) => {
    for (const open of list.querySelectorAll('.message.actions-open')) if (open !== message) open.classList.remove('actions-open');
    message?.classList.add('actions-open');
  };
  // A touch anywhere but on the open actions folds them; one on a message may be a press.
  list.ownerDocument.addEventListener('pointerdown', (event) => {
    if (event.pointerType !== 'touch' || event.target.closest?.('.message-actions')) return;
    openOn(null);
    const message = list.contains(event.target) ? event.target.closest('.message') : null;
    if (!message?.querySelector('.message-actions')) return;
    cancel();
    press = { x: event.clientX, y: event.clientY, timer: setTimeout(() => openOn(message), PRESS_MS) };
  });
  list.addEventListener('pointermove', (event) => {
    if (press && Math.hypot(event.clientX - press.x, event.clientY - press.y) > SLOP_PX) cancel();
  });
  for (const type of ['pointerup', 'pointercancel']) list.addEventListener(type, cancel);
  // The press opened the actions: the menu the browser would show on a long press is not wanted there.
  list.addEventListener('contextmenu', (event) => {
    if (event.target.closest('.message.actions-open') && !event.target.closest('a, img')) event.preventDefault();
  });
}
