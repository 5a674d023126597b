"""Payments between members (docs/protocol.md §7 "Payments"): a request from the
composer, its card on every member with a QR code of the standard link, a receipt, and
the requester's "received"; a Lightning payment through the payer's browser wallet
(WebLN), proven by its preimage on every member, and wrong preimages refused."""

import secrets
import time

from playwright.sync_api import expect

from e2e.payments import payment_hash, signed_invoice
from e2e.test_python_peer import LINK_TIMEOUT_S
from e2e.user import TIMEOUT_MS

ADDRESS = "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"  # BIP 173's mainnet P2WPKH
TESTNET_ADDRESS = "tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx"  # and its testnet one
TXID = "f4184fc596403b9d638783cf57adfe4c75c605f6356fbc91338530e9831e9e16"

# The pixels of the card's QR code canvas, read back by jsQR (the decoder the app
# vendors for its camera): what a phone's wallet would scan off the screen.
DECODE_QR_JS = """async (card) => {
  const canvas = card.querySelector('[data-testid=payment-qr] canvas');
  const { width, height } = canvas;
  const { data } = canvas.getContext('2d').getImageData(0, 0, width, height);
  const { decodeQr } = await import('/static/vendor/jsqr.js');
  return decodeQr(data, width, height);
}"""

# A stand-in for a browser wallet extension: WebLN's enable() and sendPayment(invoice),
# answering with whatever preimage the test sets in window.testWalletPreimage.
WEBLN_JS = """
window.testWalletPaid = [];
window.webln = {
  enable: async () => {},
  sendPayment: async (invoice) => {
    window.testWalletPaid.push(invoice);
    return { preimage: window.testWalletPreimage };
  },
};
"""


def card(user, index: int = 0):
    return user.page.get_by_test_id("payment-card").nth(index)


def expect_state(user, state: str):
    expect(card(user)).to_have_attribute("data-state", state, timeout=TIMEOUT_MS)


def request_payment(
    user, *, asset: str, amount: str = "", address: str = "", invoice: str = "", note: str = ""
):
    user.page.get_by_test_id("request-payment").click()
    dialog = user.page.get_by_test_id("payment-dialog")
    dialog.get_by_test_id("payment-asset").select_option(asset)
    if amount:
        dialog.get_by_test_id("payment-amount").fill(amount)
    if address:
        dialog.get_by_test_id("payment-address").fill(address)
    if invoice:
        dialog.get_by_test_id("payment-invoice").fill(invoice)
    if note:
        dialog.get_by_test_id("payment-note").fill(note)
    dialog.get_by_test_id("payment-submit").click()
    expect(dialog).to_have_count(0)


def test_a_bitcoin_request_is_paid_claimed_and_marked_received(new_user):
    ada = new_user("Ada")
    link = ada.create_room("Tea")
    bob = new_user("Bob")
    bob.open_invite(link)
    ada.wait_for_peers(1)
    bob.wait_for_peers(1)

    # A typo in the address is refused in the dialog, which stays open and says why.
    ada.page.get_by_test_id("request-payment").click()
    dialog = ada.page.get_by_test_id("payment-dialog")
    dialog.get_by_test_id("payment-amount").fill("0.001")
    dialog.get_by_test_id("payment-address").fill(ADDRESS[:-1] + "5")
    dialog.get_by_test_id("payment-submit").click()
    expect(dialog.get_by_test_id("payment-error")).to_contain_text("not a valid bitcoin address")
    dialog.get_by_test_id("payment-address").fill(TESTNET_ADDRESS)
    dialog.get_by_test_id("payment-submit").click()
    expect(dialog.get_by_test_id("payment-error")).to_contain_text("for another network")
    # A wallet's payment link pasted into the address field fills address and amount.
    dialog.get_by_test_id("payment-amount").fill("")
    dialog.get_by_test_id("payment-address").fill(f"bitcoin:{ADDRESS.upper()}?amount=0.001")
    dialog.get_by_test_id("payment-address").press("Tab")
    expect(dialog.get_by_test_id("payment-address")).to_have_value(ADDRESS.upper())
    expect(dialog.get_by_test_id("payment-amount")).to_have_value("0.001")
    dialog.get_by_test_id("payment-note").fill("Tea for two")
    dialog.get_by_test_id("payment-submit").click()
    expect(dialog).to_have_count(0)
    for user in (ada, bob):
        expect(card(user).get_by_test_id("payment-amount")).to_have_text(
            "0.001 BTC", timeout=TIMEOUT_MS
        )
        expect(card(user).get_by_test_id("payment-note")).to_have_text("Tea for two")
        expect_state(user, "open")
        expect(card(user).get_by_test_id("payment-status")).to_have_text("Waiting for payment")

    # The code on Bob's screen is the BIP 321 link, exactly.
    uri = f"bitcoin:{ADDRESS}?amount=0.001&message=Tea%20for%20two"
    expect(card(bob).get_by_test_id("payment-qr").locator("canvas")).to_be_visible()
    assert card(bob).evaluate(DECODE_QR_JS) == uri
    expect(card(bob).get_by_test_id("payment-open-wallet")).to_have_attribute("href", uri)

    card(bob).get_by_test_id("payment-claim").click()
    claim = bob.page.get_by_test_id("payment-claim-dialog")
    claim.get_by_test_id("payment-claim-dialog-input").fill(TXID)
    claim.get_by_test_id("payment-claim-dialog-submit").click()
    for user, words in ((ada, "Bob says they paid"), (bob, "You paid")):
        expect_state(user, "claimed")
        expect(card(user).get_by_test_id("payment-receipt")).to_contain_text(words)
    expect(card(ada).get_by_test_id("payment-receipt")).to_have_attribute("data-proven", "false")

    # Only the requester confirms; Bob's card offers him nothing of the kind.
    expect(card(bob).get_by_test_id("payment-mark-received")).to_have_count(0)
    card(ada).get_by_test_id("payment-mark-received").click()
    ada.page.get_by_test_id("payment-received-dialog-confirm").click()
    for user in (ada, bob):
        expect_state(user, "received")
        expect(card(user).get_by_test_id("payment-status")).to_have_text("Received")
        expect(card(user).get_by_test_id("payment-qr")).to_have_count(0)
        expect(user.page.get_by_test_id("received-event")).to_have_count(1)

    for user in (ada, bob):
        user.page.reload()
        expect_state(user, "received")
        expect(card(user).get_by_test_id("payment-receipt")).to_contain_text(TXID[:10])


def test_a_lightning_payment_through_webln_is_proven_on_every_member(new_user, python_peer):
    preimage = secrets.token_hex(32)
    invoice = signed_invoice(
        currency="bc", amount_msat=100_000_000, preimage=preimage, timestamp=int(time.time())
    )
    ada = new_user("Ada")
    link = ada.create_room("Lightning")
    bob = new_user()
    bob.page.context.add_init_script(WEBLN_JS)
    bob.onboard("Bob")
    bob.open_invite(link)
    ada.wait_for_peers(1)
    bob.wait_for_peers(1)

    request_payment(ada, asset="lightning", invoice=invoice)
    for user in (ada, bob):
        expect(card(user).get_by_test_id("payment-amount")).to_have_text(
            "100,000 sats", timeout=TIMEOUT_MS
        )
        expect_state(user, "open")
    assert card(bob).evaluate(DECODE_QR_JS) == f"lightning:{invoice}"
    request_id = card(ada).get_attribute("data-request")

    # A wallet that answers with a proof of something else posts nothing.
    bob.page.evaluate(f"window.testWalletPreimage = '{secrets.token_hex(32)}'")
    card(bob).get_by_test_id("payment-pay").click()
    expect(card(bob).get_by_test_id("payment-card-error")).to_contain_text(
        "does not match this invoice"
    )
    assert bob.page.evaluate("window.testWalletPaid") == [invoice]

    # A receipt with a wrong preimage written by a client that does not check (a Python
    # peer) is refused by every member.
    with python_peer(link, "Monty") as monty:
        monty.wait_ready(2, timeout=LINK_TIMEOUT_S)
        now = time.time_ns() // 1_000_000
        join = monty.make_entry({"type": "join", "ts": now, "clock": 1, "name": "Monty"}, seq=0)
        forged = {
            "type": "paid",
            "ts": now,
            "clock": 2,
            "request": request_id,
            "preimage": "00" * 32,
        }
        monty.send_entries([join, monty.make_entry(forged, seq=1, prev=join.id)])
        for user in (ada, bob):
            expect(card(user).get_by_test_id("payment-refused-receipt")).to_have_text(
                "A receipt from Monty was refused: its proof does not match the invoice",
                timeout=TIMEOUT_MS,
            )
            expect_state(user, "open")

        bob.page.evaluate(f"window.testWalletPreimage = '{preimage}'")
        card(bob).get_by_test_id("payment-pay").click()
        for user in (ada, bob):
            expect_state(user, "proven")
            expect(card(user).get_by_test_id("payment-status")).to_have_text("Paid · proven")
            expect(card(user).get_by_test_id("payment-receipt")).to_have_attribute(
                "data-proven", "true"
            )
    # A Python peer that comes now reads the whole history, and parley_peer takes the
    # request and both receipts as valid entries: the forged preimage is refused by
    # what it proves, not by its shape.
    with python_peer(link, "Reader") as reader:
        reader.wait_ready(2, timeout=LINK_TIMEOUT_S)
        receipts = [
            logged.body["preimage"]
            for logged in reader.fetch_log()
            if logged.body and logged.body["type"] == "paid"
        ]
    assert sorted(receipts) == sorted(["00" * 32, preimage])
    assert payment_hash(preimage) in card(ada).get_by_test_id("payment-details").text_content()

    ada.page.reload()
    expect_state(ada, "proven")
    expect(card(ada).get_by_test_id("payment-refused-receipt")).to_have_count(1)
