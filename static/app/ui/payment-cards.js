// The payment cards of the open room, one per request, kept across renders so a card's
// QR code is drawn once and its expiry timer runs (ui/payment-card.js).
//
//   const cards = new PaymentCards({ session: () => session, nameOf })
//   cards.cardFor(message, mine).el; cards.clear()
import { paymentActions } from './payment-actions.js';
import { PaymentCard } from './payment-card.js';

export class PaymentCards {
  constructor({ session, nameOf }) {
    this.actions = paymentActions(session);
    this.nameOf = nameOf;
    this.cards = new Map(); // request id -> PaymentCard
  }

  cardFor(message, mine) {
    let card = this.cards.get(message.id);
    if (card) {
      card.update(message.payment);
    } else {
      card = new PaymentCard({ id: message.id, payment: message.payment, mine, actions: this.actions, nameOf: this.nameOf });
      this.cards.set(message.id, card);
    }
    return card;
  }

  clear() {
    for (const card of this.cards.values()) card.stop();
    this.cards.clear();
  }
}
