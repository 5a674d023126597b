// What a person is told when linking a device goes wrong (devices/pairing.js codes,
// ui/qr-scanner.js codes): what happened and what to do next.
export const PAIRING_ERRORS = Object.freeze({
  no_device: 'No device is waiting for this code. A code lasts 5 minutes: check it, or make a new one on the new device.',
  wrong_code: 'That code is wrong. Check it against the one the new device shows.',
  too_many_tries: 'Too many wrong codes: the new device has stopped waiting. Make a new code there.',
  expired: 'That code has expired. Make a new one on the new device.',
  busy: 'The new device is already linking with another device.',
  no_answer: 'The new device stopped answering. Try again.',
  offline: 'You are offline: linking a device needs the server.',
  not_primary: 'Only your first device can link another one.',
  too_large: 'There is too much to hand over in one go.',
  bad_grant: 'The other device sent something this one cannot use. Try again.',
  no_camera: 'No camera found. Type the code instead.',
  camera_denied: 'The camera was not allowed. Allow it in the browser, or type the code instead.',
  camera_failed: 'The camera could not start. Type the code instead.',
});

export const pairingErrorText = (code) => PAIRING_ERRORS[code] ?? `Linking failed (${code}).`;
