// The one place that loads libsodium. Modules that need it do `await sodiumReady` at
// their top level, so every exported function of theirs can be synchronous.
import sodium from '../../vendor/libsodium.js';

export const sodiumReady = sodium.ready.then(() => sodium);
export { sodium };
