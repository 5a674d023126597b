"""The checks of a payment request's address or invoice, the twin of static/app/payments/
(bitcoin-address.js, bolt11.js, eth-address.js): the same inputs are accepted, with the
same fields, and refused with the same PaymentError codes, so that every member of a room
judges a request alike. tests/vectors/payments.json holds the published vectors both test
suites run.

    parse_bitcoin_address(text, network) -> BitcoinAddress(address, kind, script)
    decode_invoice(text)                 -> Invoice(invoice, network, amount_msat, ...)
    parse_eth_address(text)              -> the EIP-55 spelling
    is_checksummed_eth_address(text)     -> bool

Field names are the browser's in snake_case (amountMsat -> amount_msat, paymentHash ->
payment_hash, expiresAt -> expires_at, descriptionHash -> description_hash), with
amount_msat an int (the browser: decimal text) and the same units (seconds, expires_at in
milliseconds).
"""

import re
from dataclasses import dataclass

import bech32 as bech32_text
import bolt11
from bolt11.models.signature import Signature
from embit import base58
from embit import bech32 as segwit
from embit.script import address_to_scriptpubkey

CODES = (
    "malformed",
    "wrong_network",
    "unsupported",
    "bad_signature",
    "bad_checksum",
    "amount_mismatch",
)


class PaymentError(ValueError):
    """A refused address or invoice; ``code`` is one of CODES."""

    def __init__(self, code: str, message: str = "") -> None:
        super().__init__(message or code)
        self.code = code


# ---------------------------------------------------------------- Bitcoin addresses

BITCOIN_NETWORKS = ("main", "testnet", "signet", "regtest")
MAX_ADDRESS_LENGTH = 100
# network -> (bech32 prefix, base58 P2PKH version, base58 P2SH version). Testnet and
# signet share theirs; regtest has its own bech32 prefix but testnet's base58 versions.
_FORMATS = {
    "main": ("bc", 0x00, 0x05),
    "testnet": ("tb", 0x6F, 0xC4),
    "signet": ("tb", 0x6F, 0xC4),
    "regtest": ("bcrt", 0x6F, 0xC4),
}


@dataclass(frozen=True)
class BitcoinAddress:
    address: str  # canonical: bech32 lowercased, base58 as given
    kind: str  # p2pkh, p2sh, p2wpkh, p2wsh, p2tr
    script: str  # scriptPubKey, hex


def _segwit(text: str, prefix: str) -> tuple[int, bytes] | None:
    """BIP 173/350 decoding for one prefix: any version 0..16, bech32 for v0 and bech32m
    for the rest, programs of 2..40 bytes (20 or 32 for v0); None when not valid."""
    if not text.lower().startswith(prefix + "1"):
        return None
    version, program = segwit.decode(prefix, text)
    if version is None or program is None:
        return None
    return version, bytes(program)


def _base58_version(text: str) -> int | None:
    try:
        data = base58.decode_check(text)
    except Exception:  # embit raises ValueError or KeyError for foreign characters
        return None
    return data[0] if len(data) == 21 else None


def _kind(text: str, network: str) -> str | None:
    """The kind of address text is for network, 'unsupported' for a valid segwit
    address this release cannot pay, or None."""
    prefix, p2pkh, p2sh = _FORMATS[network]
    decoded = _segwit(text, prefix)
    if decoded is not None:
        version, program = decoded
        if version == 0:
            return "p2wpkh" if len(program) == 20 else "p2wsh"
        # BIP 433's pay-to-anchor (v1, 2 bytes) and v2..v16 are nobody's address to pay.
        return "p2tr" if version == 1 and len(program) == 32 else "unsupported"
    version_byte = _base58_version(text)
    return {p2pkh: "p2pkh", p2sh: "p2sh"}.get(version_byte) if version_byte is not None else None


def parse_bitcoin_address(text: str, network: str) -> BitcoinAddress:
    if network not in BITCOIN_NETWORKS:
        raise TypeError(f"unknown Bitcoin network: {network}")
    if not isinstance(text, str) or len(text) > MAX_ADDRESS_LENGTH:
        raise PaymentError("malformed")
    kind = _kind(text, network)
    if kind == "unsupported":
        raise PaymentError("unsupported")
    if kind is None:
        if any(_kind(text, other) is not None for other in BITCOIN_NETWORKS):
            raise PaymentError("wrong_network")
        raise PaymentError("malformed")
    address = text if kind in ("p2pkh", "p2sh") else text.lower()
    return BitcoinAddress(address, kind, address_to_scriptpubkey(address).data.hex())


# ---------------------------------------------------------------- Lightning invoices

MAX_INVOICE_LENGTH = 4000
DEFAULT_EXPIRY_SECONDS = 3600
MAX_TIMESTAMP_MS = 8_640_000_000_000_000  # the largest time a JavaScript Date holds
MAX_MSAT = 21_000_000 * 100_000_000 * 1000
_CURRENCIES = {"bc": "main", "tb": "testnet", "tbs": "signet", "bcrt": "regtest"}
# Longest first, so that lntbs is signet and lnbcrt regtest.
_HRP = re.compile(r"ln(bcrt|bc|tbs|tb)(.*)")
_AMOUNT = re.compile(r"(\d+)([munp]?)")
_SIGNATURE_WORDS = 104
_TIMESTAMP_WORDS = 7
_TAG = {"p": 1, "x": 6, "d": 13, "s": 16, "n": 19, "h": 23, "features": 5}
_FIXED_WORDS = {_TAG["p"]: 52, _TAG["s"]: 52, _TAG["h"]: 52, _TAG["n"]: 53}
# The compulsory (even) feature bits BOLT 9 gives invoices a meaning for: var_onion_optin,
# payment_secret, basic_mpp, option_route_blinding, option_attribution_data,
# option_payment_metadata. Any other compulsory bit MUST fail the payment.
KNOWN_COMPULSORY_FEATURES = frozenset({8, 14, 16, 24, 36, 48})


@dataclass(frozen=True)
class Invoice:
    invoice: str  # lowercase, without "lightning:"
    network: str
    amount_msat: int | None
    payment_hash: str
    timestamp: int  # seconds
    expiry: int  # seconds
    expires_at: int  # milliseconds
    description: str | None
    description_hash: str | None
    payee: str  # compressed public key, hex


def _tagged_fields(words: list[int]) -> list[tuple[int, list[int]]]:
    fields = []
    at = 0
    while at < len(words):
        if at + 3 > len(words):
            raise PaymentError("malformed")
        length = words[at + 1] * 32 + words[at + 2]
        if at + 3 + length > len(words):
            raise PaymentError("malformed")
        fields.append((words[at], words[at + 3 : at + 3 + length]))
        at += 3 + length
    return fields


def _first(fields: list[tuple[int, list[int]]], tag: int) -> list[int] | None:
    """The first field of tag with the length BOLT 11 requires of it (others are skipped)."""
    for field_tag, words in fields:
        if field_tag == tag and len(words) == _FIXED_WORDS.get(tag, len(words)):
            return words
    return None


def _strict_bytes(words: list[int]) -> bytes:
    """Bytes from 5-bit words, refusing more than 4 bits of padding or non-zero padding
    (as @scure/base's fromWords does)."""
    data = segwit.convertbits(words, 5, 8, False)
    if data is None:
        raise PaymentError("malformed")
    return bytes(data)


def _padded_bytes(words: list[int]) -> bytes:
    """The signed bytes: the words with zero bits appended up to a byte boundary."""
    return bytes(segwit.convertbits(words, 5, 8, True) or [])


def _big_endian(words: list[int]) -> int:
    value = 0
    for word in words:
        value = value * 32 + word
    return value


def _unknown_compulsory_feature(words: list[int]) -> bool:
    bits = _big_endian(words)
    return any(
        bits >> bit & 1 and bit not in KNOWN_COMPULSORY_FEATURES
        for bit in range(0, len(words) * 5, 2)
    )


def _amount_msat(text: str) -> int | None:
    if text == "":
        return None
    match = _AMOUNT.fullmatch(text)
    if match is None:
        raise PaymentError("malformed")
    digits, multiplier = match.groups()
    # BOLT 11: a `p` amount must end in 0, or it would be a fraction of a millisatoshi.
    if multiplier == "p" and not digits.endswith("0"):
        raise PaymentError("malformed")
    msat = bolt11.utils.amount_to_msat(text)
    if msat == 0 or msat > MAX_MSAT:
        raise PaymentError("malformed")
    return int(msat)


def _payee(prefix: str, data_words: list[int], signature: bytes, stated: bytes | None) -> str:
    if signature[64] > 3:
        raise PaymentError("bad_signature")
    checked = Signature(
        hrp=prefix, signing_data=_padded_bytes(data_words), signature_data=signature
    )
    try:
        if stated is not None:
            # BOLT 11: with an `n` field, verify against it instead of recovering; a
            # high-S signature does not verify (libsecp256k1 wants low S).
            checked.verify(stated.hex())
            return stated.hex()
        return checked.recover_public_key()
    except Exception as error:  # coincurve raises ValueError (and others) for bad input
        raise PaymentError("bad_signature") from error


def decode_invoice(text: str) -> Invoice:
    """BOLT 11. The order of the checks is the browser's (an invoice with several faults
    gets the code of the first): format -> currency -> amount -> fields -> signature ->
    features -> expiry."""
    if not isinstance(text, str) or len(text) > MAX_INVOICE_LENGTH:
        raise PaymentError("malformed")
    body = text[len("lightning:") :] if text[:10].lower() == "lightning:" else text
    # The reference decoder (bech32 package, bolt11's own): checksum of bech32 (not
    # bech32m), no mixed case, no length limit.
    prefix, words = bech32_text.bech32_decode(body)
    if prefix is None or words is None:
        raise PaymentError("malformed")
    if not prefix.startswith("ln"):
        raise PaymentError("malformed")
    hrp = _HRP.fullmatch(prefix)
    if hrp is None:
        raise PaymentError("unsupported")
    currency, amount_text = hrp.groups()
    amount = _amount_msat(amount_text)

    if len(words) < _TIMESTAMP_WORDS + _SIGNATURE_WORDS:
        raise PaymentError("malformed")
    data_words = words[:-_SIGNATURE_WORDS]
    fields = _tagged_fields(data_words[_TIMESTAMP_WORDS:])
    payment_hash = _first(fields, _TAG["p"])
    if payment_hash is None:
        raise PaymentError("malformed")
    _strict_bytes(payment_hash)
    if _first(fields, _TAG["s"]) is None:
        raise PaymentError("malformed")
    about = next(
        (
            (tag, field)
            for tag, field in fields
            if tag == _TAG["d"] or (tag == _TAG["h"] and len(field) == _FIXED_WORDS[tag])
        ),
        None,
    )
    if about is None:
        raise PaymentError("malformed")
    about_bytes = _strict_bytes(about[1])
    description = None
    if about[0] == _TAG["d"]:
        try:
            description = about_bytes.decode("utf-8")
        except UnicodeDecodeError as error:
            raise PaymentError("malformed") from error
    stated_words = _first(fields, _TAG["n"])
    stated = _strict_bytes(stated_words) if stated_words is not None else None

    payee = _payee(prefix, data_words, _strict_bytes(words[-_SIGNATURE_WORDS:]), stated)

    features = next((field for tag, field in fields if tag == _TAG["features"]), None)
    if features is not None and _unknown_compulsory_feature(features):
        raise PaymentError("unsupported")

    # The values come from the same walk as the browser's: bolt11.decode reads the
    # fields again with rules of its own (an empty `x` or `c` field makes it raise),
    # and an invoice must get the same answer in both languages.
    timestamp = _big_endian(data_words[:_TIMESTAMP_WORDS])
    expiry_words = next((field for tag, field in fields if tag == _TAG["x"]), None)
    expiry = DEFAULT_EXPIRY_SECONDS if expiry_words is None else _big_endian(expiry_words)
    expires_at = (timestamp + expiry) * 1000
    if expires_at > MAX_TIMESTAMP_MS:
        raise PaymentError("malformed")
    return Invoice(
        invoice=body.lower(),
        network=_CURRENCIES[currency],
        amount_msat=amount,
        payment_hash=_strict_bytes(payment_hash).hex(),
        timestamp=timestamp,
        expiry=expiry,
        expires_at=expires_at,
        description=description,
        description_hash=about_bytes.hex() if about[0] == _TAG["h"] else None,
        payee=payee,
    )


# ---------------------------------------------------------------- Ethereum addresses

_HEX_ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}")
_SINGLE_CASE = re.compile(r"0x(?:[0-9a-f]{40}|[0-9A-F]{40})")


def _eth_utils():  # noqa: ANN202 - the module
    """eth_utils, imported when first needed: it takes about a second to import, which
    every Python peer and mirror would pay at start for requests few of them see."""
    import eth_utils  # noqa: PLC0415

    return eth_utils


def parse_eth_address(text: str) -> str:
    """The EIP-55 spelling of an address; an all-lower or all-upper one carries no
    checksum and is taken, a mixed-case one must be the exact EIP-55 spelling."""
    if not isinstance(text, str) or not _HEX_ADDRESS.fullmatch(text):
        raise PaymentError("malformed")
    if _SINGLE_CASE.fullmatch(text):
        return str(_eth_utils().to_checksum_address(text.lower()))
    if not _eth_utils().is_checksum_address(text):
        raise PaymentError("bad_checksum")
    return text


def is_checksummed_eth_address(text: str) -> bool:
    return (
        isinstance(text, str)
        and bool(_HEX_ADDRESS.fullmatch(text))
        and _eth_utils().to_checksum_address(text.lower()) == text
    )
