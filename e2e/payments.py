"""BOLT 11 invoices signed with a test key, for tests that need an invoice whose preimage
they know (the published vectors of BOLT 11 come without preimages): the e2e payment
tests make fresh ones, tests/vectors/make_payment_fixtures.py fixed ones."""

import hashlib

import bolt11
from bolt11 import Bolt11, MilliSatoshi, Tag, TagChar, Tags

# The private key of BOLT 11's examples, whose node id is PAYEE.
TEST_KEY = "e126f68f7eafcc8b74f54d269fe206be715000f94dac067d1c04a8ca3b2db734"
PAYEE = "03e7156ae33b0a208d0744199163177e909e80176e55d97a2f221ede0f934dd9ad"


def payment_hash(preimage: str) -> str:
    return hashlib.sha256(bytes.fromhex(preimage)).hexdigest()


def signed_invoice(
    *,
    currency: str,
    amount_msat: int | None,
    preimage: str,
    timestamp: int,
    expiry: int = 3600,
    payee: str | None = None,
    description: str = "Tea for two",
    cltv: int | None = None,
) -> str:
    """An invoice for `amount_msat` (None: no amount) on `currency` ("bc", "tb", "bcrt"),
    made at `timestamp` (s); with `payee`, it names that node while TEST_KEY signs it.
    An `expiry` or `cltv` of 0 is written as an empty field."""
    tags = [
        Tag(TagChar.payment_hash, payment_hash(preimage)),
        Tag(TagChar.payment_secret, "11" * 32),
        Tag(TagChar.description, description),
        Tag(TagChar.expire_time, expiry),
    ]
    if payee:
        tags.append(Tag(TagChar.payee, payee))
    if cltv is not None:  # 0 is written as an empty field
        tags.append(Tag(TagChar.min_final_cltv_expiry, cltv))
    amount = MilliSatoshi(amount_msat) if amount_msat is not None else None
    invoice = Bolt11(currency, timestamp, Tags(tags), amount)
    return bolt11.encode(invoice, TEST_KEY, keep_payee=payee is not None)
