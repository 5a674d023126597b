"""The rules of a `payment` entry (docs/protocol.md §7 "Payments") beyond the shapes of
its keys, the twin of static/app/payments/payment-request.js: the address is valid for
the request's network, the invoice verifies, is for the same network and for exactly
the request's amount, and a Lightning request lapses when its invoice does.
"""

import re
from functools import lru_cache
from typing import Any

from parley_peer.payments import (
    BITCOIN_NETWORKS,
    Invoice,
    PaymentError,
    decode_invoice,
    is_checksummed_eth_address,
    parse_bitcoin_address,
)

PAYMENT_ASSETS = ("btc", "lightning", "usdt")
# USDT requests are on Ethereum's main network, named "main" too.
PAYMENT_NETWORKS = BITCOIN_NETWORKS
MAX_NOTE_CODE_POINTS = 280
# How long an on-chain or USDT request may stay open; a Lightning one lasts as long as
# its invoice, within the same bound.
MAX_REQUEST_MS = 30 * 86_400_000
MAX_SATS = 2_100_000_000_000_000  # 21 million bitcoin
MSAT_PER_SAT = 1000
# An amount in the asset's smallest unit, as decimal digits (a JSON number could not
# hold every millisatoshi amount exactly in JavaScript).
AMOUNT_TEXT = re.compile(r"[1-9][0-9]{0,29}")


@lru_cache(maxsize=256)
def invoice_details(invoice: str) -> Invoice:
    return decode_invoice(invoice)


def _check_invoice(body: dict, amount_msat: int) -> Invoice:
    invoice = invoice_details(body["invoice"])
    if invoice.invoice != body["invoice"]:
        raise PaymentError("malformed", "The invoice must be written in lower case.")
    if invoice.network != body["network"]:
        raise PaymentError("wrong_network", "The invoice is for another network.")
    if invoice.amount_msat is None or invoice.amount_msat != amount_msat:
        raise PaymentError("amount_mismatch", "The invoice's amount differs from the request's.")
    return invoice


def check_payment_request(body: dict) -> Invoice | None:
    """The request's invoice (None without one), or PaymentError with a code."""
    asset, network, amount = body["asset"], body["network"], int(body["amount"])
    if body["expires"] <= body["ts"]:
        raise PaymentError("malformed", "The request has already expired.")
    if body["expires"] - body["ts"] > MAX_REQUEST_MS:
        raise PaymentError("malformed", "A request lasts at most 30 days.")
    if asset == "usdt":
        if network != "main":
            raise PaymentError("unsupported", "USDT requests are on Ethereum's main network.")
        if "invoice" in body:
            raise PaymentError("malformed", "A USDT request has no Lightning invoice.")
        if not is_checksummed_eth_address(body.get("address")):
            raise PaymentError("bad_checksum", "The Ethereum address is not checksummed.")
        return None
    if asset == "btc":
        if amount > MAX_SATS:
            raise PaymentError("malformed", "That is more bitcoin than there will ever be.")
        if not isinstance(body.get("address"), str):
            raise PaymentError("malformed", "A bitcoin request needs an address.")
        if parse_bitcoin_address(body["address"], network).address != body["address"]:
            raise PaymentError("malformed", "The address must be written in lower case.")
        if "invoice" not in body:
            return None
        invoice = _check_invoice(body, amount * MSAT_PER_SAT)
        if invoice.expires_at < body["expires"]:
            raise PaymentError("malformed", "The request must lapse by the time its invoice does.")
        return invoice
    if "address" in body:
        raise PaymentError("malformed", "A Lightning request pays its invoice, not an address.")
    if not isinstance(body.get("invoice"), str):
        raise PaymentError("malformed", "A Lightning request needs an invoice.")
    if amount > MAX_SATS * MSAT_PER_SAT:
        raise PaymentError("malformed", "That is more bitcoin than there will ever be.")
    invoice = _check_invoice(body, amount)
    if invoice.expires_at != body["expires"]:
        raise PaymentError("malformed", "A Lightning request lapses when its invoice does.")
    return invoice


def is_payment_request(body: Any) -> bool:
    try:
        check_payment_request(body)
    except PaymentError:
        return False
    return True
