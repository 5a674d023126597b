"""parley_peer.entry, version 2 (docs/protocol.md §7 "Disappearing messages"): an entry
that carries its expiry and signs a hash of its ciphertext, so that its stub (the entry
without the ciphertext) still verifies with the same id; receiver checks 1, 2, 6 and 8
on it; the `disappear` setting; and the frames that carry them (§6 `keep`, §8 `entries`)."""

import hashlib

import nacl.bindings
import pytest
from nacl.signing import SigningKey

from parley_peer.data_frames import DataFrameError, parse_data_frame
from parley_peer.encoding import b64url_encode, dump_json_utf8
from parley_peer.entry import (
    ENTRY_REJECT_CODES,
    MAX_ENTRY_BYTES,
    MAX_ENTRY_V1_BYTES,
    STUB_BYTES,
    STUB_EARLY_MS,
    EntryError,
    check_stub_due,
    create_entry,
    entry_expiry,
    entry_id,
    entry_stub,
    is_stub,
    open_entry,
    verify_entry_signature,
)
from parley_peer.entry_body import MAX_BODY_BYTES, MAX_EXPIRY_MS, MAX_TIMESTAMP_MS, is_entry_body
from parley_peer.keys import derive_room_keys, new_room_secret
from parley_peer.room_peer import entry_frames

TS = 1_700_000_000_000
FIVE_MINUTES = TS + 300_000
KEYS = derive_room_keys(new_room_secret())
ADA = SigningKey.generate()


def message(text: str = "gone soon", **more) -> dict:
    return {"type": "message", "ts": TS, "clock": 1, "text": text, **more}


def make(body: dict | None = None, expires: int | None = FIVE_MINUTES, **more) -> bytes:
    entry = create_entry(
        identity=ADA,
        seq=0,
        body=message() if body is None else body,
        message_key=KEYS.message_key,
        discovery_key=KEYS.discovery_key,
        expires=expires,
        **more,
    )
    return entry.data


def hand_built(body_bytes: bytes, expires: int, identity: SigningKey = ADA) -> bytes:
    """A version 2 entry straight from the §7 table, for bodies create_entry refuses."""
    nonce = bytes(24)
    header = b"".join([
        b"\x02", identity.verify_key.encode(), bytes(8), bytes(32), nonce,
        expires.to_bytes(8, "big"), (len(body_bytes) + 16).to_bytes(4, "big"),
    ])  # fmt: skip
    ciphertext = nacl.bindings.crypto_aead_xchacha20poly1305_ietf_encrypt(
        body_bytes, b"parley-entry-v2" + header, nonce, KEYS.message_key
    )
    signed = header + hashlib.blake2b(ciphertext, digest_size=32).digest()
    signature = identity.sign(b"parley-entry-sig-v2" + KEYS.discovery_key + signed).signature
    return signed + ciphertext + signature


def opened(data: bytes):
    return open_entry(data, message_key=KEYS.message_key, discovery_key=KEYS.discovery_key)


def code_of(action, *args) -> str:
    with pytest.raises(EntryError) as caught:
        action(*args)
    return caught.value.code


def resigned(data: bytes) -> bytes:
    """`data` with an honest signature over whatever its first 141 bytes say now."""
    signed = data[:141]
    signature = ADA.sign(b"parley-entry-sig-v2" + KEYS.discovery_key + signed).signature
    return data[:-64] + signature


def test_a_version_2_entry_opens_with_its_expiry_and_version_1_stays_as_it_was():
    data = make()
    assert data[0] == 2 and entry_expiry(data) == FIVE_MINUTES and not is_stub(data)
    entry = opened(data)
    assert (entry.version, entry.expires, entry.stub) == (2, FIVE_MINUTES, False)
    assert not entry.is_stub
    assert entry.body == message() and entry.id == entry_id(data)
    assert len(data) == 141 + len(dump_json_utf8(message())) + 16 + 64
    old = make(expires=None)
    assert old[0] == 1 and entry_expiry(old) is None
    first = opened(old)
    assert (first.version, first.expires, first.stub) == (1, None, False)
    assert first.id == hashlib.blake2b(old, digest_size=32).digest()


def test_the_stub_verifies_with_the_same_id_and_has_no_body():
    data = make()
    stub = entry_stub(data)
    assert len(stub) == STUB_BYTES == 205 and stub == data[:141] + data[-64:]
    assert is_stub(stub) and entry_stub(stub) == stub
    verified = verify_entry_signature(stub, KEYS.discovery_key)
    assert verified.stub and verified.is_stub and verified.expires == FIVE_MINUTES
    assert verified.id == entry_id(stub) == entry_id(data) == opened(data).id
    assert verified.id == hashlib.blake2b(stub, digest_size=32).digest()
    assert code_of(opened, stub) == "undecryptable"
    with pytest.raises(ValueError):
        entry_stub(make(expires=None))


@pytest.mark.parametrize(
    ("where", "code"),
    [
        (110, "malformed"),  # the hash: not the ciphertext's
        (150, "malformed"),  # the ciphertext: its hash no longer matches
        (100, "bad_signature"),  # the expiry is signed
        (80, "bad_signature"),  # the nonce
        (-1, "bad_signature"),  # the signature
    ],
)
def test_a_tampered_entry_is_refused(where, code):
    data = bytearray(make())
    data[where] ^= 1
    assert code_of(verify_entry_signature, bytes(data), KEYS.discovery_key) == code


def test_a_tampered_stub_is_refused():
    stub = bytearray(entry_stub(make()))
    stub[120] ^= 1  # the hash: nothing to check it against but the signature
    assert code_of(verify_entry_signature, bytes(stub), KEYS.discovery_key) == "bad_signature"
    other = derive_room_keys(new_room_secret())
    assert code_of(verify_entry_signature, entry_stub(make()), other.discovery_key) == (
        "bad_signature"
    )


def test_the_layout_of_check_1():
    data = make()
    # Ciphertext length that does not match, or out of 17..16,400 (even signed honestly).
    for length in (len(data) - 204, 16, 16_401):
        wrong = bytearray(data)
        wrong[105:109] = length.to_bytes(4, "big")
        assert code_of(verify_entry_signature, resigned(bytes(wrong)), KEYS.discovery_key) == (
            "malformed"
        )
        stub = resigned(entry_stub(bytes(wrong)))  # a stub's length is checked for range
        if length == len(data) - 204:
            assert verify_entry_signature(stub, KEYS.discovery_key).stub
        else:
            assert code_of(verify_entry_signature, stub, KEYS.discovery_key) == "malformed"
    for expires in (0, MAX_TIMESTAMP_MS + 1):
        wrong = bytearray(entry_stub(data))
        wrong[97:105] = expires.to_bytes(8, "big")
        assert code_of(verify_entry_signature, resigned(bytes(wrong)), KEYS.discovery_key) == (
            "malformed"
        )
    for length in (204, 206):  # neither a stub nor a whole entry
        assert code_of(verify_entry_signature, data[:length], KEYS.discovery_key) == "malformed"
    bad_version = bytearray(data)
    bad_version[0] = 3
    assert code_of(verify_entry_signature, bytes(bad_version), KEYS.discovery_key) == "malformed"


def test_the_largest_entries_of_each_version():
    text = "x" * 4000
    room = MAX_BODY_BYTES - len(dump_json_utf8(message(text)))
    body = message(text, reply=b64url_encode(bytes(32)))
    assert len(dump_json_utf8(body)) <= MAX_BODY_BYTES
    padded = dump_json_utf8(message(text)).replace(b'"text"', b'"text"' + b" " * room, 1)
    assert len(padded) == MAX_BODY_BYTES  # JSON with spaces: still a valid body
    largest = hand_built(padded, FIVE_MINUTES)
    assert len(largest) == MAX_ENTRY_BYTES == 16_605
    assert opened(largest).body == message(text)
    assert MAX_ENTRY_V1_BYTES == 16_565
    too_long = bytearray(largest)  # a version 1 entry may not be this long
    too_long[0] = 1
    assert code_of(verify_entry_signature, bytes(too_long), KEYS.discovery_key) == "malformed"
    # An entries frame carries it (§8: entries up to 16,605 bytes, frames under 64 KiB).
    frames = entry_frames([largest] * 5)
    assert [len(frame["entries"]) for frame in frames] == [2, 2, 1]
    for frame in frames:
        parse_data_frame(dump_json_utf8(frame).decode())


def test_a_version_2_body_must_be_one_that_expires_and_expire_within_4_weeks():
    for body in (
        message(),
        {"type": "edit", "ts": TS, "clock": 2, "target": b64url_encode(bytes(32)), "text": "y"},
        {"type": "reaction", "ts": TS, "clock": 2, "target": b64url_encode(bytes(32)),
         "emoji": "👍", "on": True},
    ):  # fmt: skip
        assert opened(make(body)).body == body
    assert opened(make(expires=TS + MAX_EXPIRY_MS)).expires == TS + MAX_EXPIRY_MS
    name = {"type": "name", "ts": TS, "clock": 1, "name": "Ada"}
    for body, expires in ((name, FIVE_MINUTES), (message(), TS + MAX_EXPIRY_MS + 1)):
        assert code_of(make, body, expires) == "malformed"
        assert code_of(opened, hand_built(dump_json_utf8(body), expires)) == "malformed"
    for expires in (0, True, 1.5, MAX_TIMESTAMP_MS + 1):
        assert code_of(make, message(), expires) == "malformed"


def test_check_8_takes_a_stub_only_once_it_is_due():
    data = make()
    stub = verify_entry_signature(entry_stub(data), KEYS.discovery_key)
    whole = verify_entry_signature(data, KEYS.discovery_key)
    check_stub_due(stub, FIVE_MINUTES - STUB_EARLY_MS)  # within the 30 s of the clocks
    check_stub_due(stub, FIVE_MINUTES + 1)
    assert code_of(check_stub_due, stub, FIVE_MINUTES - STUB_EARLY_MS - 1) == "not_expired"
    check_stub_due(whole, 0)  # a whole entry is taken before its expiry, of course
    assert ENTRY_REJECT_CODES[-1] == "not_expired"


def test_the_disappear_setting():
    base = {"type": "settings", "ts": TS, "clock": 1}
    for seconds in (0, 300, 3600, 86_400, 604_800, 2_419_200):
        assert is_entry_body({**base, "disappear": seconds})  # changes something alone
    for wrong in (1, 60, True, False, "300", None, 300.5, 2_419_201, -300):
        assert not is_entry_body({**base, "disappear": wrong}), wrong
    assert not is_entry_body(base)


def test_keep_may_say_when_its_file_expires():
    keep = {"t": "keep", "root": b64url_encode(bytes(32)), "size": 5}
    for expires in (1, FIVE_MINUTES, MAX_TIMESTAMP_MS):
        assert parse_data_frame(dump_json_utf8({**keep, "expires": expires}).decode())
    for wrong in (0, -1, MAX_TIMESTAMP_MS + 1, True, "1", 1.5, None):
        with pytest.raises(DataFrameError):
            parse_data_frame(dump_json_utf8({**keep, "expires": wrong}).decode())
