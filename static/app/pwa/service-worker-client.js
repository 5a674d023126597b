// The page's side of the app-shell service worker (sw/app-shell.js): registers it, and
// notices when a new version has been installed and is waiting, so the UI can offer
// "Reload to update" instead of the page running old code against new files.
//
//   const updates = AppUpdates.start()            // null where service workers are absent
//   updates.addEventListener('change', () => updates.updateReady)
//   updates.applyUpdate()                         // the new version takes over; page reloads
//   await updates.version()                       // the version serving this page, or null
export const SERVICE_WORKER_URL = '/sw.js';
export const SERVICE_WORKER_SCOPE = '/';
export const UPDATE_CHECK_EVERY_MS = 60 * 60 * 1000;
// A tab that comes back into view checks again, but not on every quick switch.
const MIN_VISIBLE_CHECK_GAP_MS = 5 * 60 * 1000;
const VERSION_ANSWER_MS = 3000;

export class AppUpdates extends EventTarget {
  static start({
    container = globalThis.navigator?.serviceWorker, doc = globalThis.document,
    reload = () => location.reload(), every = (fn, ms) => setInterval(fn, ms),
  } = {}) {
    if (!container) return null;
    const updates = new AppUpdates({ container, doc, reload, every });
    updates.ready = updates.#register();
    return updates;
  }

  constructor({ container, doc, reload, every }) {
    super();
    this.container = container;
    this.doc = doc;
    this.reload = reload;
    this.every = every;
    this.registration = null;
    this.waiting = null;
    this.lastCheck = 0;
    // A page that started without a worker (the first visit) gets its first controller
    // by clients.claim(): that is an install, not an update.
    this.hadController = Boolean(container.controller);
  }

  get updateReady() {
    return this.waiting !== null;
  }

  async #register() {
    this.container.addEventListener('controllerchange', () => this.#controllerChanged());
    // updateViaCache 'none': the worker's imported modules are checked against the
    // server too, not taken from an HTTP cache that may hold the previous version.
    const registration = await this.container.register(SERVICE_WORKER_URL, {
      type: 'module', scope: SERVICE_WORKER_SCOPE, updateViaCache: 'none',
    });
    this.registration = registration;
    // The navigation that loaded this page may already have found a new version.
    if (registration.waiting && this.container.controller) this.#offer(registration.waiting);
    this.#watchInstalling(registration.installing);
    registration.addEventListener('updatefound', () => this.#watchInstalling(registration.installing));
    this.#scheduleChecks();
    await this.checkForUpdate();
    return registration;
  }

  #watchInstalling(worker) {
    if (!worker) return;
    worker.addEventListener('statechange', () => {
      if (worker.state === 'installed' && this.container.controller) this.#offer(worker);
    });
  }

  #offer(worker) {
    this.waiting = worker;
    this.dispatchEvent(new Event('change'));
  }

  // Another page of this browser may have applied the update: this page's files are now
  // served by a version it did not start with, so it too must reload before going on.
  #controllerChanged() {
    if (this.applying) {
      this.reload();
      return;
    }
    if (!this.hadController) {
      this.hadController = true;
      return;
    }
    this.#offer(this.container.controller);
  }

  #scheduleChecks() {
    this.every(() => this.checkForUpdate(), UPDATE_CHECK_EVERY_MS);
    this.doc?.addEventListener('visibilitychange', () => {
      if (this.doc.visibilityState === 'visible' && Date.now() - this.lastCheck > MIN_VISIBLE_CHECK_GAP_MS) this.checkForUpdate();
    });
  }

  async checkForUpdate() {
    this.lastCheck = Date.now();
    try {
      await this.registration?.update();
    } catch {
      // Offline or the server is down: the next check will do.
    }
  }

  // The waiting worker takes over; `controllerchange` then reloads the page into it.
  applyUpdate() {
    this.applying = true;
    if (this.waiting && this.waiting !== this.container.controller) {
      this.waiting.postMessage({ type: 'skip-waiting' });
    } else {
      this.reload();
    }
  }

  // The version of the worker that serves this page (for diagnostics and tests).
  async version() {
    const controller = this.container.controller;
    if (!controller) return null;
    const channel = new MessageChannel();
    const answer = new Promise((resolve) => {
      channel.port1.onmessage = (event) => resolve(event.data?.version ?? null);
      setTimeout(() => resolve(null), VERSION_ANSWER_MS); // a worker too old to answer
    });
    controller.postMessage({ type: 'version' }, [channel.port2]);
    return answer;
  }
}
