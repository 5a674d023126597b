// The payment cards of the open room, one per request, kept across renders so a card's
// QR code is drawn once and its expiry timer runs (ui/payment-card.js).
//
//   const cards = new PaymentCards({ session: () => session, selfId: () => id, nameOf })
//   cards.cardFor(message, mine).el; cards.clear()
import { h } from './dom.js';
import { paymentActions } from './payment-actions.js';
import { PaymentCard } from './payment-card.js';

export class PaymentCards {
  constructor({ session, selfId, nameOf }) {
    this.actions = paymentActions(session);
    this.selfId = selfId;
    this.nameOf = nameOf;
    this.cards = new Map(); // request id -> PaymentCard
  }

  cardFor(message, mine) {
    let card = this.cards.get(message.id);
    if (card) {
      card.update(message.payment);
    } else {
      card = this.#newCard(message, mine);
      this.cards.set(message.id, card);
    }
    return card;
  }

  // A request this device cannot show (a link no encoder takes) costs its card, never
  // the room's view.
  #newCard(message, mine) {
    try {
      return new PaymentCard({
        id: message.id, payment: message.payment, mine, selfId: this.selfId(), actions: this.actions, nameOf: this.nameOf,
      });
    } catch {
      const el = h('p', { class: 'payment-error', 'data-testid': 'payment-card-unreadable' }, 'This payment request cannot be shown on this device.');
      return { el, update() {}, stop() {} };
    }
  }

  clear() {
    for (const card of this.cards.values()) card.stop();
    this.cards.clear();
  }
}
