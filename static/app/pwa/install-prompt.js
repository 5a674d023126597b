// When the browser offers to install Parley (Chromium's `beforeinstallprompt`), keep the
// offer instead of letting the browser show its own mini-infobar, so the app can show
// its "Install app" button and prompt when the user asks.
//
//   const install = new InstallPrompt()
//   install.addEventListener('change', () => install.available)
//   const outcome = await install.prompt()   // 'accepted' | 'dismissed' | 'unavailable'
export class InstallPrompt extends EventTarget {
  constructor({ win = globalThis.window } = {}) {
    super();
    this.win = win;
    this.offer = null;
    this.installed = isStandalone(win);
    win?.addEventListener('beforeinstallprompt', (event) => {
      event.preventDefault();
      this.offer = event;
      this.#changed();
    });
    win?.addEventListener('appinstalled', () => {
      this.offer = null;
      this.installed = true;
      this.#changed();
    });
  }

  // Running as the installed app, there is nothing to offer.
  get available() {
    return Boolean(this.offer) && !this.installed;
  }

  async prompt() {
    const offer = this.offer;
    if (!offer) return 'unavailable';
    // An offer prompts once; the browser sends a new one if the user dismissed it.
    this.offer = null;
    this.#changed();
    await offer.prompt();
    const { outcome } = await offer.userChoice;
    return outcome;
  }

  #changed() {
    this.dispatchEvent(new Event('change'));
  }
}

function isStandalone(win) {
  return Boolean(win?.matchMedia?.('(display-mode: standalone)').matches || win?.navigator?.standalone);
}
