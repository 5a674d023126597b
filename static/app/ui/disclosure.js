// A <details> used as a menu closes like one: on a pointer down outside it, and through
// closeDisclosure (Escape, a choice made), which gives the focus back to its summary when
// it was inside. ui/call-devices-menu.js and ui/room-menu.js use it.
//
//   closeOnOutsidePress(details)
//   closeDisclosure(details) -> whether it was open
export function closeOnOutsidePress(details) {
  globalThis.document?.addEventListener('pointerdown', (event) => {
    if (details.open && !details.contains(event.target)) closeDisclosure(details);
  });
}

export function closeDisclosure(details) {
  if (!details.open) return false;
  details.open = false;
  if (details.contains(globalThis.document?.activeElement)) details.querySelector('summary').focus();
  return true;
}
