// Connectivity: whether this device can reach the rendezvous server, for the offline
// indicator. Two sources: the browser's own idea of the network (navigator.onLine and
// its online/offline events) and the signaling connection's state.
//
//   const connectivity = new Connectivity({ signaling })
//   connectivity.state            // 'online' | 'offline' | 'unreachable' | 'stopped'
//   connectivity.addEventListener('change', ...)
//
// 'offline': the browser says there is no network. 'unreachable': there is a network,
// but the connection to the server failed and has not come back yet; the client keeps
// alternating between `connecting` and `offline` while it retries, and that must not
// make the indicator flicker, so only `online` clears it. 'stopped': the app let go of
// the connection on purpose (another tab took over); there is nothing to report.
export class Connectivity extends EventTarget {
  constructor({ signaling, win = globalThis.window }) {
    super();
    this.win = win;
    this.signaling = signaling;
    this.failedSinceOnline = signaling.state === 'offline';
    this.state = this.#compute();
    signaling.addEventListener('state', ({ detail }) => {
      if (detail.state === 'online') this.failedSinceOnline = false;
      if (detail.state === 'offline') this.failedSinceOnline = true;
      this.#update();
    });
    win?.addEventListener('online', () => this.#update());
    win?.addEventListener('offline', () => this.#update());
  }

  #compute() {
    if (this.signaling.stopped) return 'stopped';
    if (this.win?.navigator?.onLine === false) return 'offline';
    return this.failedSinceOnline ? 'unreachable' : 'online';
  }

  #update() {
    const state = this.#compute();
    if (state === this.state) return;
    this.state = state;
    this.dispatchEvent(new Event('change'));
  }
}
