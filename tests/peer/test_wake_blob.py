"""parley_peer.wake: the wake blob and registration signatures of docs/protocol.md §10.

Checked here with PyNaCl's primitives directly, as a browser with libsodium would do it.
"""

import base64
import hashlib
import json
import os

import nacl.bindings
import pytest
from nacl.public import SealedBox
from nacl.signing import SigningKey, VerifyKey

from parley_peer.wake import (
    MailboxKeys,
    WakeError,
    open_wake,
    register_request,
    seal_wake,
    unregister_request,
    wake_public_key,
)


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def seal_plaintext(mailbox: MailboxKeys, plaintext: bytes) -> str:
    padded = nacl.bindings.sodium_pad(plaintext, 1024)
    return b64(SealedBox(wake_public_key(mailbox.public_key)).encrypt(padded))


def test_the_mailbox_id_is_the_blake2b_of_the_public_key():
    mailbox = MailboxKeys.generate()
    assert mailbox.mailbox_id == hashlib.blake2b(mailbox.public_key, digest_size=32).digest()
    assert unb64(mailbox.mailbox_id_b64) == mailbox.mailbox_id


def test_a_wake_is_1072_bytes_and_opens_for_its_mailbox_only():
    mailbox, sender, room = MailboxKeys.generate(), SigningKey.generate(), os.urandom(32)
    blob = seal_wake(mailbox.public_key, sender, room, "hi", ts=1_763_900_000_000)
    assert len(unb64(blob)) == 1072
    opened = open_wake(blob, mailbox)
    assert (opened.room, opened.sender, opened.kind, opened.text, opened.ts) == (
        room,
        bytes(sender.verify_key),
        "message",
        "hi",
        1_763_900_000_000,
    )
    with pytest.raises(WakeError) as refused:
        open_wake(blob, MailboxKeys.generate())
    assert refused.value.code == "undecryptable"


def test_the_layout_is_signature_then_json_padded_to_1024():
    mailbox, sender = MailboxKeys.generate(), SigningKey.generate()
    blob = seal_wake(mailbox.public_key, sender, os.urandom(32), "x")
    padded = SealedBox(mailbox.wake_private_key).decrypt(unb64(blob))
    assert len(padded) == 1024
    plaintext = nacl.bindings.sodium_unpad(padded, 1024)
    signature, body = plaintext[:64], plaintext[64:]
    VerifyKey(bytes(sender.verify_key)).verify(
        b"parley-wake-v1" + mailbox.public_key + body, signature
    )
    assert set(json.loads(body)) == {"v", "room", "from", "kind", "text", "ts"}


def test_the_text_is_cut_to_100_code_points():
    mailbox = MailboxKeys.generate()
    text = "\U0001f600" * 150  # 4 UTF-8 bytes, 2 UTF-16 units each
    blob = seal_wake(mailbox.public_key, SigningKey.generate(), os.urandom(32), text)
    assert open_wake(blob, mailbox).text == "\U0001f600" * 100


def test_text_of_json_escapes_still_fits_the_fixed_size():
    mailbox = MailboxKeys.generate()
    text = "\x01" * 100  # 6 bytes each as a JSON escape: 600 bytes
    blob = seal_wake(mailbox.public_key, SigningKey.generate(), os.urandom(32), "a" + text)
    opened = open_wake(blob, mailbox)
    assert len(unb64(blob)) == 1072
    assert opened.text.startswith("a\x01") and len(opened.text) <= 100


@pytest.mark.parametrize("text", ["", "x" * 101])
def test_text_outside_1_to_100_code_points_is_refused(text):
    mailbox, sender = MailboxKeys.generate(), SigningKey.generate()
    body = json.dumps(
        {"v": 1, "room": b64(os.urandom(32)), "from": b64(bytes(sender.verify_key)),
         "kind": "message", "text": text, "ts": 1}
    ).encode()  # fmt: skip
    signature = sender.sign(b"parley-wake-v1" + mailbox.public_key + body).signature
    with pytest.raises(WakeError) as refused:
        open_wake(seal_plaintext(mailbox, signature + body), mailbox)
    assert refused.value.code == "malformed"


def test_a_signature_by_someone_else_than_from_is_refused():
    mailbox, claimed, signer = MailboxKeys.generate(), SigningKey.generate(), SigningKey.generate()
    body = json.dumps(
        {"v": 1, "room": b64(os.urandom(32)), "from": b64(bytes(claimed.verify_key)),
         "kind": "message", "text": "hi", "ts": 1}
    ).encode()  # fmt: skip
    signature = signer.sign(b"parley-wake-v1" + mailbox.public_key + body).signature
    with pytest.raises(WakeError) as refused:
        open_wake(seal_plaintext(mailbox, signature + body), mailbox)
    assert refused.value.code == "bad_signature"


def test_a_wake_signed_for_another_mailbox_is_refused():
    """The signature covers the mailbox key: a wake cannot be re-addressed."""
    meant, other, sender = MailboxKeys.generate(), MailboxKeys.generate(), SigningKey.generate()
    body = json.dumps(
        {"v": 1, "room": b64(os.urandom(32)), "from": b64(bytes(sender.verify_key)),
         "kind": "message", "text": "hi", "ts": 1}
    ).encode()  # fmt: skip
    signature = sender.sign(b"parley-wake-v1" + meant.public_key + body).signature
    with pytest.raises(WakeError) as refused:
        open_wake(seal_plaintext(other, signature + body), other)
    assert refused.value.code == "bad_signature"


@pytest.mark.parametrize(
    "plaintext",
    [b"", b"\x00" * 64, bytes(64) + b"not json", bytes(64) + b'{"v": 2}', bytes(64) + b"[]"],
)
def test_malformed_contents_are_refused(plaintext):
    mailbox = MailboxKeys.generate()
    with pytest.raises(WakeError) as refused:
        open_wake(seal_plaintext(mailbox, plaintext), mailbox)
    assert refused.value.code == "malformed"


def test_a_blob_of_another_size_is_malformed():
    with pytest.raises(WakeError) as refused:
        open_wake(b64(os.urandom(1071)), MailboxKeys.generate())
    assert refused.value.code == "malformed"


def test_registration_requests_are_signed_over_the_documented_strings():
    mailbox = MailboxKeys.generate()
    sub = {"endpoint": "https://fcm.googleapis.com/x", "keys": {"p256dh": "P", "auth": "A"}}
    request = register_request(mailbox, sub, 1_763_900_000_000)
    assert set(request) == {"mailbox", "subscription", "ts", "sig"}
    message = (
        f"parley-push-v1|register|{mailbox.public_key_b64}|https://fcm.googleapis.com/x|P|A|"
        "1763900000000"
    ).encode()
    VerifyKey(mailbox.public_key).verify(message, unb64(request["sig"]))
    removal = unregister_request(mailbox, sub["endpoint"], 5)
    message = f"parley-push-v1|unregister|{mailbox.public_key_b64}|{sub['endpoint']}|5".encode()
    VerifyKey(mailbox.public_key).verify(message, unb64(removal["sig"]))
