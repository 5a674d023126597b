// Which offered files download by themselves (a device setting): always, up to a size,
// or never. The default is a limit, so that joining a room does not pull every big file
// it ever saw; bigger ones wait for a click on Download.
//
//   AUTO_DOWNLOAD_CHOICES            [{ value, label, bytes }] in the order shown
//   autoDownloadBytes(value) -> the largest size that downloads by itself (0: none)
export const AUTO_DOWNLOAD_CHOICES = Object.freeze([
  { value: 'never', label: 'Never', bytes: 0 },
  { value: '10mb', label: 'Up to 10 MB', bytes: 10_000_000 },
  { value: '25mb', label: 'Up to 25 MB', bytes: 25_000_000 },
  { value: '100mb', label: 'Up to 100 MB', bytes: 100_000_000 },
  { value: 'always', label: 'Always', bytes: Number.MAX_SAFE_INTEGER },
]);
export const DEFAULT_AUTO_DOWNLOAD = '25mb';

export function isAutoDownloadChoice(value) {
  return AUTO_DOWNLOAD_CHOICES.some((choice) => choice.value === value);
}

export function autoDownloadBytes(value) {
  const choice = AUTO_DOWNLOAD_CHOICES.find((each) => each.value === value)
    ?? AUTO_DOWNLOAD_CHOICES.find((each) => each.value === DEFAULT_AUTO_DOWNLOAD);
  return choice.bytes;
}
