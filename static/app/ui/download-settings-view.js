// The sidebar's "Download files automatically" choice (files/auto-download.js): a native
// select, and what the choice means in words.
import { AUTO_DOWNLOAD_CHOICES } from '../files/auto-download.js';
import { h } from './dom.js';

export class DownloadSettingsView {
  constructor({ app }) {
    this.app = app;
    this.select = h('select', {
      id: 'auto-download-select', 'data-testid': 'auto-download', 'aria-describedby': 'auto-download-state',
      onchange: () => this.app.changeSetting((settings) => settings.setAutoDownload(this.select.value)).catch((error) => {
        console.warn('parley: the download setting could not be saved', error);
        this.render();
      }),
    }, AUTO_DOWNLOAD_CHOICES.map(({ value, label }) => h('option', { value }, label)));
    this.status = h('p', { class: 'setting-status', id: 'auto-download-state', 'data-testid': 'auto-download-state' });
    this.el = h('section', { class: 'download-settings', 'aria-label': 'Files' },
      h('label', { class: 'switch-row', for: 'auto-download-select' },
        h('span', { class: 'switch-label' }, 'Download files automatically'),
        this.select),
      this.status);
  }

  render() {
    const { autoDownload } = this.app.settings;
    this.select.value = autoDownload;
    const { label } = AUTO_DOWNLOAD_CHOICES.find((choice) => choice.value === autoDownload);
    if (autoDownload === 'never') this.status.textContent = 'Files wait until you click Download.';
    else if (autoDownload === 'always') this.status.textContent = 'Every file shared in your rooms comes to this device.';
    else this.status.textContent = `Files ${label.replace('Up to', 'up to')} come by themselves; bigger ones wait until you click Download.`;
  }
}
