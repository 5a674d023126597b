// The files being encrypted and hashed before their offer goes into the room, under the
// conversation: each with its progress, or why it could not be sent and a Dismiss button.
// Hidden while there are none.
//
//   const preparing = new PreparingFilesView()
//   container.append(preparing.el)
//   preparing.render(manager)   the room's TransferManager (its `preparing` list), or null
import { h, replaceChildren } from './dom.js';
import { byteSize } from './format.js';
import { fileReasonText } from './reasons.js';

export class PreparingFilesView {
  constructor() {
    this.el = h('ul', { class: 'preparing-files', 'data-testid': 'preparing-files', 'aria-live': 'polite' });
  }

  render(manager) {
    const items = [...(manager?.preparing.values() ?? [])];
    this.el.hidden = items.length === 0;
    replaceChildren(this.el, items.map((item) => h('li', {
      class: `preparing-file state-${item.state}`, 'data-testid': 'preparing-file', dataset: { state: item.state },
    },
    h('span', { class: 'preparing-name' }, item.name),
    item.state === 'failed'
      ? h('span', { class: 'preparing-status' }, `Could not send: ${fileReasonText(item.reason)}`)
      : h('span', { class: 'preparing-status' }, `Encrypting · ${item.size ? Math.floor((item.done / item.size) * 100) : 100}% of ${byteSize(item.size)}`),
    item.state === 'failed'
      ? h('button', { type: 'button', class: 'link-button', onclick: () => manager.dismissPreparing(item.id) }, 'Dismiss')
      : h('progress', { max: item.size || 1, value: item.done }))));
  }
}
