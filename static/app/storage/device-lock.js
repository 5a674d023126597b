// One tab per browser profile runs Parley (docs/protocol.md §8, "Appending"): two tabs
// appending to the same log would fork it. The tab holding the Web Lock `parley-device`
// runs the app; another tab can take over, and the first one then stops.
//
//   const lock = await acquireDeviceLock({ steal })   // null when another tab holds it
//   lock.lost.then(() => stop the app)
const LOCK_NAME = 'parley-device';

export function acquireDeviceLock({ steal = false } = {}) {
  return new Promise((resolve, reject) => {
    let markLost;
    const lost = new Promise((resolveLost) => { markLost = resolveLost; });
    const options = steal ? { steal: true } : { ifAvailable: true };
    navigator.locks.request(LOCK_NAME, options, (lock) => {
      if (!lock) {
        resolve(null);
        return undefined;
      }
      resolve({ lost });
      return new Promise(() => {}); // held for the life of the page
    }).catch((error) => {
      // A lock taken over by another tab rejects its holder's request with AbortError.
      if (error?.name === 'AbortError') markLost();
      else reject(error);
    });
  });
}
