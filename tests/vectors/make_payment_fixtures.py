"""Writes tests/vectors/payment-fixtures.json: BOLT 11 invoices signed with a test key,
whose preimages the tests know, for the payment tests of both languages (the published
vectors of BOLT 11 come without preimages). Signing is deterministic (RFC 6979), so
tests/peer/test_payment_entries.py checks that this script still writes the same file.

    .venv/bin/python -m tests.vectors.make_payment_fixtures
"""

import json
from pathlib import Path

from e2e.payments import PAYEE, payment_hash, signed_invoice

FIXTURES = Path(__file__).with_name("payment-fixtures.json")
PREIMAGE = bytes(range(32)).hex()
OTHER_PREIMAGE = bytes(range(32, 64)).hex()
TIMESTAMP = 1_800_000_000  # 2027-01-15, seconds
EXPIRY = 3600
# Another node's id: an invoice naming it as payee, signed with the test key, must fail.
OTHER_PAYEE = "02" + "11" * 32


def invoice(currency: str, amount_msat: int | None, **options) -> str:  # noqa: ANN003
    options.setdefault("preimage", PREIMAGE)
    options.setdefault("expiry", EXPIRY)
    return signed_invoice(
        currency=currency, amount_msat=amount_msat, timestamp=TIMESTAMP, **options
    )


MAIN_ADDRESS = "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"  # BIP 173
TESTNET_ADDRESS = "tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx"  # BIP 173
ETHEREUM_ADDRESS = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"  # EIP-55
REQUEST_TS = TIMESTAMP * 1000 + 5000
HOUR_MS = 3_600_000


def requests() -> dict:
    """`payment` bodies every member accepts, and ones it refuses with the code the
    request dialog shows (payments/payment-request.js, parley_peer/payment_request.py)."""
    base = {"type": "payment", "ts": REQUEST_TS, "clock": 1, "network": "main"}
    lightning = {
        **base,
        "asset": "lightning",
        "amount": "100000000",
        "expires": (TIMESTAMP + EXPIRY) * 1000,
        "invoice": invoice("bc", 100_000_000),
    }
    bitcoin = {
        **base,
        "asset": "btc",
        "amount": "100000",
        "expires": REQUEST_TS + HOUR_MS,
        "address": MAIN_ADDRESS,
    }
    usdt = {
        **base,
        "asset": "usdt",
        "amount": "25000000",
        "expires": REQUEST_TS + HOUR_MS,
        "address": ETHEREUM_ADDRESS,
    }
    # A bitcoin request may carry a Lightning invoice; it lapses when the invoice does.
    with_invoice = {
        **bitcoin,
        "invoice": invoice("bc", 100_000_000),
        "expires": lightning["expires"],
    }
    typo = MAIN_ADDRESS[:-1] + "5"
    refused = [
        ({**bitcoin, "address": TESTNET_ADDRESS}, "wrong_network"),
        ({**bitcoin, "address": MAIN_ADDRESS.upper()}, "malformed"),  # one spelling only
        ({**bitcoin, "address": typo}, "malformed"),  # a typo breaks the checksum
        ({**bitcoin, "invoice": invoice("bc", 50_000_000)}, "amount_mismatch"),
        ({**bitcoin, "invoice": invoice("tb", 100_000_000)}, "wrong_network"),
        ({**with_invoice, "expires": with_invoice["expires"] + 1}, "malformed"),
        ({**bitcoin, "amount": "2100000000000001"}, "malformed"),  # > 21 million BTC
        ({**bitcoin, "expires": REQUEST_TS + 31 * 24 * HOUR_MS}, "malformed"),
        ({**bitcoin, "expires": REQUEST_TS}, "malformed"),
        ({**lightning, "invoice": invoice("bc", 50_000_000)}, "amount_mismatch"),
        ({**lightning, "invoice": invoice("bc", None)}, "amount_mismatch"),
        ({**lightning, "network": "regtest"}, "wrong_network"),
        ({**lightning, "expires": lightning["expires"] + 1}, "malformed"),
        ({**lightning, "ts": lightning["expires"]}, "malformed"),  # already expired
        ({**lightning, "invoice": lightning["invoice"].upper()}, "malformed"),
        ({**lightning, "invoice": invoice("bc", 100_000_000, payee=OTHER_PAYEE)}, "bad_signature"),
        ({**usdt, "address": ETHEREUM_ADDRESS.lower()}, "bad_checksum"),
        ({**usdt, "network": "testnet"}, "unsupported"),
    ]
    return {
        "accepted": [
            lightning,
            bitcoin,
            usdt,
            {**with_invoice, "note": "Tea for two"},
            {**lightning, "network": "testnet", "invoice": invoice("tb", 100_000_000)},
            {**lightning, "network": "regtest", "invoice": invoice("bcrt", 100_000_000)},
        ],
        "refused": [{"body": body, "code": code} for body, code in refused],
    }


def fixtures() -> dict:
    return {
        "source": "tests/vectors/make_payment_fixtures.py (e2e/payments.py, BOLT 11's test key)",
        "preimage": PREIMAGE,
        "paymentHash": payment_hash(PREIMAGE),
        "otherPreimage": OTHER_PREIMAGE,
        "timestamp": TIMESTAMP,
        "expiresAt": (TIMESTAMP + EXPIRY) * 1000,
        "payee": PAYEE,
        "invoices": {
            # 0.001 BTC: 100,000 sats
            "main": invoice("bc", 100_000_000),
            "testnet": invoice("tb", 100_000_000),
            "regtest": invoice("bcrt", 100_000_000),
            "noAmount": invoice("bc", None),
            "halfAmount": invoice("bc", 50_000_000),
            "otherHash": invoice("bc", 100_000_000, preimage=OTHER_PREIMAGE),
            # Names OTHER_PAYEE as its payee, but the test key signed it.
            "wrongPayee": invoice("bc", 100_000_000, payee=OTHER_PAYEE),
            # Empty fields (the encoder writes 0 so): an expiry of 0, a final CLTV of 0.
            # Both languages read them alike (parley_peer's bolt11 would raise on them).
            "emptyExpiry": invoice("bc", 100_000_000, expiry=0),
            "emptyCltv": invoice("bc", 100_000_000, cltv=0),
        },
        "addresses": {
            "main": MAIN_ADDRESS,
            "testnet": TESTNET_ADDRESS,
            "ethereum": ETHEREUM_ADDRESS,
        },
        "requests": requests(),
    }


def render() -> str:
    return json.dumps(fixtures(), indent=2) + "\n"


if __name__ == "__main__":
    FIXTURES.write_text(render(), encoding="utf-8")
