"""parley_peer.payments against the published vectors in tests/vectors/payments.json
(BIP 173, BIP 350, Bitcoin Core's key_io, BOLT 11, EIP-55): the same results, field for
field and code for code, as the browser's tests/js/payments-validation.test.js."""

import json
from pathlib import Path

import bech32 as bech32_text
import pytest
from coincurve.utils import GROUP_ORDER_INT
from embit import bech32 as segwit

from parley_peer.payments import (
    BITCOIN_NETWORKS,
    BitcoinAddress,
    PaymentError,
    decode_invoice,
    is_checksummed_eth_address,
    parse_bitcoin_address,
    parse_eth_address,
)

VECTORS = json.loads((Path(__file__).parents[1] / "vectors" / "payments.json").read_text("utf-8"))
NODE_KEY = "03e7156ae33b0a208d0744199163177e909e80176e55d97a2f221ede0f934dd9ad"
VALID_ADDRESSES = [
    pytest.param(entry, id=entry["address"][:16])
    for group in ("bip173", "bip350", "key_io")
    for entry in VECTORS[group]["valid"]
]
INVALID_ADDRESSES = [
    pytest.param(entry, id=entry["address"][:16])
    for group in ("bip173", "bip350")
    for entry in VECTORS[group]["invalid"]
]


def refusal(run, *args):
    with pytest.raises(PaymentError) as raised:
        run(*args)
    return raised.value.code


def same_format(entry):
    networks = (
        {"testnet", "signet"} if entry["network"] in ("testnet", "signet") else {entry["network"]}
    )
    # Regtest takes testnet's base58 versions, so a testnet base58 address is one there too.
    if entry.get("kind") in ("p2pkh", "p2sh") and entry["network"] != "main":
        networks |= {"testnet", "signet", "regtest"}
    return networks


@pytest.mark.parametrize("entry", VALID_ADDRESSES)
def test_valid_address_vectors(entry):
    if "code" in entry:
        assert refusal(parse_bitcoin_address, entry["address"], entry["network"]) == entry["code"]
        return
    assert parse_bitcoin_address(entry["address"], entry["network"]) == BitcoinAddress(
        entry["canonical"], entry["kind"], entry["script"]
    )
    for other in set(BITCOIN_NETWORKS) - same_format(entry):
        assert refusal(parse_bitcoin_address, entry["address"], other) == "wrong_network"


@pytest.mark.parametrize("entry", INVALID_ADDRESSES)
@pytest.mark.parametrize("network", BITCOIN_NETWORKS)
def test_invalid_address_vectors(entry, network):
    assert refusal(parse_bitcoin_address, entry["address"], network) == entry["code"]


def test_address_length_limit_and_unknown_network():
    assert refusal(parse_bitcoin_address, "bc1q" + "q" * 97, "main") == "malformed"
    with pytest.raises(TypeError):
        parse_bitcoin_address("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", "mainnet")


@pytest.mark.parametrize(
    ("address", "network"),
    [
        ("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", "testnet"),
        ("tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx", "main"),
        ("mzK2FFDEhxqHcmrJw1ysqFkVyhUULo45hZ", "main"),
        ("bcrt1qdavt4j2sd7dlhqsavtnfxvzppw6k7qy97tmnu9", "signet"),
    ],
)
def test_wrong_network(address, network):
    assert refusal(parse_bitcoin_address, address, network) == "wrong_network"


def as_python(expected):
    """The browser's field names and types -> the Python twin's."""
    return {
        "network": expected["network"],
        "amount_msat": None if expected["amountMsat"] is None else int(expected["amountMsat"]),
        "payment_hash": expected["paymentHash"],
        "timestamp": expected["timestamp"],
        "expiry": expected["expiry"],
        "expires_at": expected["expiresAt"],
        "description": expected["description"],
        "description_hash": expected["descriptionHash"],
    }


@pytest.mark.parametrize("entry", VECTORS["bolt11"]["valid"], ids=lambda entry: entry["title"][:40])
def test_bolt11_valid_examples(entry):
    decoded = decode_invoice(entry["invoice"])
    fields = {key: getattr(decoded, key) for key in as_python(entry["expected"])}
    assert fields == as_python(entry["expected"])
    assert decoded.invoice == entry["invoice"].lower()
    assert decoded.payee == entry["expected"].get("payee", entry.get("agreed_payee"))


@pytest.mark.parametrize(
    "entry", VECTORS["bolt11"]["invalid"], ids=lambda entry: entry["title"][:40]
)
def test_bolt11_invalid_examples(entry):
    assert refusal(decode_invoice, entry["invoice"]) == entry["code"]


def test_lightning_prefix_and_length_limit():
    invoice = VECTORS["bolt11"]["valid"][0]["invoice"]
    assert decode_invoice("LIGHTNING:" + invoice).invoice == invoice
    assert refusal(decode_invoice, invoice + "q" * (4001 - len(invoice))) == "malformed"


# Invoices re-signed here are built from the spec's: its high-S invoice with an `n` field
# becomes valid once its s is made low (the same signature, written canonically).
HIGH_S = next(
    entry["invoice"]
    for entry in VECTORS["bolt11"]["invalid"]
    if entry["title"].startswith("Non canonical signature")
)


def with_signature(invoice, edit):
    prefix, words = bech32_text.bech32_decode(invoice)
    signature = bytearray(segwit.convertbits(words[-104:], 5, 8, False))
    edit(signature)
    new_words = words[:-104] + segwit.convertbits(signature, 8, 5, True)
    return bech32_text.bech32_encode(prefix, new_words)


def low_s(signature):
    s = int.from_bytes(signature[32:64], "big")
    signature[32:64] = (GROUP_ORDER_INT - s).to_bytes(32, "big")


def test_invoice_signed_by_its_n_field():
    decoded = decode_invoice(with_signature(HIGH_S, low_s))
    assert decoded.payee == NODE_KEY
    assert decoded.amount_msat == 2_500_000_000


def test_tampered_signature():
    def flip(signature):
        low_s(signature)
        signature[40] ^= 1

    assert refusal(decode_invoice, with_signature(HIGH_S, flip)) == "bad_signature"

    def bad_recovery(signature):
        signature[64] = 4

    first = VECTORS["bolt11"]["valid"][0]["invoice"]
    assert refusal(decode_invoice, with_signature(first, bad_recovery)) == "bad_signature"
    # Without `n`, a changed amount recovers some other key: never the signer's.
    invoice = next(
        entry["invoice"]
        for entry in VECTORS["bolt11"]["valid"]
        if entry["expected"]["amountMsat"] == "250000000"
    )
    prefix, words = bech32_text.bech32_decode(invoice)
    other_amount = bech32_text.bech32_encode(prefix.replace("2500u", "2501u"), words)
    assert decode_invoice(other_amount).payee != NODE_KEY


@pytest.mark.parametrize("address", VECTORS["eip55"]["checksummed"])
def test_eip55_examples(address):
    assert parse_eth_address(address) == address
    assert is_checksummed_eth_address(address)
    assert parse_eth_address(address.lower()) == address
    assert parse_eth_address("0x" + address[2:].upper()) == address


def test_eip55_bad_checksum_and_malformed():
    address = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"
    typo = address[:-1] + "D"
    assert refusal(parse_eth_address, typo) == "bad_checksum"
    assert not is_checksummed_eth_address(typo)
    assert not is_checksummed_eth_address(address.lower())
    wrong = (address[:-1], "0X" + address[2:], address + "0", address.replace("a", "g"), "", 42)
    for text in wrong:
        assert refusal(parse_eth_address, text) == "malformed"


def test_eip681_targets_agree_with_the_browser():
    first, second = VECTORS["eip681"]["valid"]
    assert refusal(parse_eth_address, first["expected"]["target"]) == first["target_code"]
    assert parse_eth_address(second["expected"]["target"]).lower() == second["expected"]["target"]
