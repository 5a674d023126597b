// DeviceSettings: choices that belong to this device, kept in IndexedDB settings: whether
// it writes read receipts (room/read-receipts.js; on unless turned off) and which
// offered files download by themselves (files/auto-download.js). A save that fails
// leaves the choice as it was; the caller says so.
//
//   const settings = await DeviceSettings.load(store)
//   settings.readReceipts, settings.autoDownload
//   await settings.setReadReceipts(on); await settings.setAutoDownload(value)
import { DEFAULT_AUTO_DOWNLOAD, isAutoDownloadChoice } from './files/auto-download.js';

const READ_RECEIPTS = 'read-receipts';
const AUTO_DOWNLOAD = 'auto-download';

export class DeviceSettings {
  static async load(store) {
    const settings = new DeviceSettings(store);
    settings.readReceipts = (await store.loadSetting(READ_RECEIPTS)) !== false;
    const autoDownload = await store.loadSetting(AUTO_DOWNLOAD);
    if (isAutoDownloadChoice(autoDownload)) settings.autoDownload = autoDownload;
    return settings;
  }

  constructor(store) {
    this.store = store;
    this.readReceipts = true;
    this.autoDownload = DEFAULT_AUTO_DOWNLOAD;
  }

  async setReadReceipts(on) {
    await this.store.saveSetting(READ_RECEIPTS, Boolean(on));
    this.readReceipts = Boolean(on);
  }

  async setAutoDownload(value) {
    if (!isAutoDownloadChoice(value)) throw new Error('bad_choice');
    await this.store.saveSetting(AUTO_DOWNLOAD, value);
    this.autoDownload = value;
  }
}
