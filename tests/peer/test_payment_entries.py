"""The `payment`, `paid` and `received` bodies in parley_peer (docs/protocol.md §7
"Payments"), on the same cases as tests/js/payments-entry.test.js, and the fixture file
both read, which tests/vectors/make_payment_fixtures.py must still write byte for byte."""

import json
from pathlib import Path

import pytest

from parley_peer.entry_body import is_entry_body
from parley_peer.payment_request import check_payment_request
from parley_peer.payments import PaymentError, decode_invoice
from tests.vectors.make_payment_fixtures import FIXTURES, render

CASES = json.loads(Path(FIXTURES).read_text(encoding="utf-8"))
REQUEST_ID = "A" * 43


def test_the_fixtures_are_what_their_script_writes():
    assert Path(FIXTURES).read_text(encoding="utf-8") == render()


@pytest.mark.parametrize("body", CASES["requests"]["accepted"])
def test_well_formed_requests_are_accepted(body):
    assert is_entry_body(body)


@pytest.mark.parametrize(
    "case", CASES["requests"]["refused"], ids=lambda case: f"{case['code']}-{case['body']['asset']}"
)
def test_requests_that_would_pay_the_wrong_thing_are_refused_with_their_reason(case):
    with pytest.raises(PaymentError) as refused:
        check_payment_request(case["body"])
    assert refused.value.code == case["code"]
    assert not is_entry_body(case["body"])


def test_the_lightning_request_carries_the_invoice_of_the_fixture_preimage():
    invoice = check_payment_request(CASES["requests"]["accepted"][0])
    assert invoice is not None
    assert invoice.payment_hash == CASES["paymentHash"]
    assert invoice.payee == CASES["payee"]


@pytest.mark.parametrize(
    ("proof", "valid"),
    [
        ({"txid": "ab" * 32}, True),
        ({"txid": "0x" + "ab" * 32}, True),
        ({"preimage": "00" * 32}, True),
        ({}, False),
        ({"txid": "ab" * 32, "preimage": "00" * 32}, False),
        ({"txid": "AB" * 32}, False),
        ({"preimage": "ab" * 31}, False),
        ({"txid": "0X" + "ab" * 32}, False),
    ],
)
def test_a_receipt_carries_exactly_one_proof(proof, valid):
    body = {"type": "paid", "ts": 1, "clock": 2, "request": REQUEST_ID, **proof}
    assert is_entry_body(body) is valid


def test_received_names_a_request():
    assert is_entry_body({"type": "received", "ts": 1, "clock": 3, "request": REQUEST_ID})
    assert not is_entry_body({"type": "received", "ts": 1, "clock": 3, "request": "x"})
    assert not is_entry_body({"type": "received", "ts": 1, "clock": 3})


def test_empty_fields_read_as_the_browser_reads_them():
    """An `x` of no words is an expiry of 0; an empty `c` is skipped (BOLT 11 gives no
    rule for it), as in static/app/payments/bolt11.js (tests/js/payments-entry.test.js)."""
    empty_expiry = decode_invoice(CASES["invoices"]["emptyExpiry"])
    assert (empty_expiry.expiry, empty_expiry.expires_at) == (0, CASES["timestamp"] * 1000)
    empty_cltv = decode_invoice(CASES["invoices"]["emptyCltv"])
    assert (empty_cltv.expiry, empty_cltv.payment_hash) == (3600, CASES["paymentHash"])


@pytest.mark.parametrize(
    ("note", "valid"),
    [
        ("Tea for two", True),
        ("🍵" * 280, True),
        ("x" * 281, False),
        ("", False),
        ("tea \ud800", False),
    ],
)
def test_a_note_is_well_formed_text_of_at_most_280_code_points(note, valid):
    body = {**CASES["requests"]["accepted"][1], "note": note}
    assert is_entry_body(body) is valid
