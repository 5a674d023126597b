"""Wakes and push registrations agree between the browser modules (static/app/push/)
and parley_peer.wake (docs/protocol.md §10): what one side seals the other opens with
every field, both refuse the same damage, and signed registration bodies are identical
byte for byte (Ed25519 signatures are deterministic)."""

import nacl.utils
import pytest
from nacl.public import SealedBox
from nacl.signing import SigningKey

from parley_peer.encoding import b64url_decode as unb64
from parley_peer.encoding import b64url_encode as b64
from parley_peer.wake import (
    WAKE_BLOB_BYTES,
    MailboxKeys,
    WakeError,
    open_wake,
    register_request,
    seal_wake,
    unregister_request,
)

from .conftest import NOW, run_js

TEXTS = ["hi", "@Bob tea? 🎉", "ä" * 100, 'line\nbreak "quoted" \\ back', "é🎉" * 50]


class Mailbox:
    def __init__(self) -> None:
        self.seed = nacl.utils.random(32)
        self.keys = MailboxKeys(SigningKey(self.seed))


@pytest.fixture
def parties():
    sender_seed = nacl.utils.random(32)
    return SigningKey(sender_seed), sender_seed, Mailbox(), nacl.utils.random(32)


def test_mailbox_ids_and_wake_keys_agree() -> None:
    mailboxes = [Mailbox() for _ in range(4)]
    described = run_js(*({"op": "describe_mailbox", "mailboxSeed": b64(m.seed)} for m in mailboxes))
    for mailbox, result in zip(mailboxes, described, strict=True):
        assert result == {
            "publicKey": mailbox.keys.public_key_b64,
            "mailboxId": mailbox.keys.mailbox_id_b64,
            "wakeKey": b64(bytes(mailbox.keys.wake_private_key.public_key)),
        }


def test_js_wakes_open_in_python(parties) -> None:
    sender, sender_seed, mailbox, room = parties
    requests = [
        {
            "op": "build_wake",
            "identitySeed": b64(sender_seed),
            "mailboxPublicKey": mailbox.keys.public_key_b64,
            "room": b64(room),
            "kind": kind,
            "text": text,
            "now": NOW,
        }
        for text in TEXTS
        for kind in ("message", "mention")
    ]
    for request, result in zip(requests, run_js(*requests), strict=True):
        assert len(unb64(result["blob"])) == WAKE_BLOB_BYTES
        opened = open_wake(result["blob"], mailbox.keys)
        assert opened.room == room
        assert opened.sender == bytes(sender.verify_key)
        assert (opened.kind, opened.text, opened.ts) == (request["kind"], request["text"], NOW)


def test_python_wakes_open_in_js(parties) -> None:
    sender, _, mailbox, room = parties
    blobs = [
        seal_wake(mailbox.keys.public_key, sender, room, text, kind=kind, ts=NOW)
        for text in TEXTS
        for kind in ("message", "mention")
    ]
    results = run_js(
        *({"op": "open_wake", "blob": blob, "mailboxSeed": b64(mailbox.seed)} for blob in blobs)
    )
    expected = [
        {
            "room": b64(room),
            "from": b64(bytes(sender.verify_key)),
            "kind": kind,
            "text": text,
            "ts": NOW,
        }
        for text in TEXTS
        for kind in ("message", "mention")
    ]
    assert results == expected


def test_long_texts_are_cut_to_100_code_points_on_both_sides(parties) -> None:
    sender, sender_seed, mailbox, room = parties
    text = "🎉" * 150
    [js] = run_js(
        {
            "op": "build_wake",
            "identitySeed": b64(sender_seed),
            "mailboxPublicKey": mailbox.keys.public_key_b64,
            "room": b64(room),
            "kind": "message",
            "text": text,
            "now": NOW,
        }
    )
    assert open_wake(js["blob"], mailbox.keys).text == "🎉" * 100
    python = seal_wake(mailbox.keys.public_key, sender, room, text, ts=NOW)
    [opened] = run_js({"op": "open_wake", "blob": python, "mailboxSeed": b64(mailbox.seed)})
    assert opened["text"] == "🎉" * 100


def flipped(blob: str, position: int) -> str:
    data = bytearray(unb64(blob))
    data[position] ^= 1
    return b64(bytes(data))


def test_both_sides_refuse_the_same_damage(parties) -> None:
    sender, _, mailbox, room = parties
    good = seal_wake(mailbox.keys.public_key, sender, room, "hello", ts=NOW)
    stranger = Mailbox()
    cases = {
        "another mailbox": (good, stranger, "undecryptable"),
        "flipped first byte": (flipped(good, 0), mailbox, "undecryptable"),
        "flipped middle byte": (flipped(good, 500), mailbox, "undecryptable"),
        "flipped last byte": (flipped(good, WAKE_BLOB_BYTES - 1), mailbox, "undecryptable"),
        "short": (good[:-4], mailbox, "malformed"),
        # Signed for another mailbox, sealed to this one: the signature binds the mailbox.
        "signed for another mailbox": (
            resealed(
                seal_wake(stranger.keys.public_key, sender, room, "x", ts=NOW), stranger, mailbox
            ),
            mailbox,
            "bad_signature",
        ),
    }
    js = run_js(
        *(
            {"op": "open_wake", "blob": blob, "mailboxSeed": b64(holder.seed)}
            for blob, holder, _ in cases.values()
        )
    )
    for (name, (blob, holder, code)), js_result in zip(cases.items(), js, strict=True):
        assert js_result == {"error": code}, name
        with pytest.raises(WakeError) as raised:
            open_wake(blob, holder.keys)
        assert raised.value.code == code, name


def resealed(blob: str, opener: Mailbox, recipient: Mailbox) -> str:
    """Open a wake with one mailbox and seal its plaintext, unchanged, to another."""
    padded = SealedBox(opener.keys.wake_private_key).decrypt(unb64(blob))
    recipient_key = recipient.keys.wake_private_key.public_key
    return b64(SealedBox(recipient_key).encrypt(padded))


def test_registration_bodies_are_identical() -> None:
    mailbox = Mailbox()
    subscription = {
        "endpoint": "https://push.example/send/" + b64(nacl.utils.random(16)),
        "keys": {
            "p256dh": b64(b"\x04" + nacl.utils.random(64)),
            "auth": b64(nacl.utils.random(16)),
        },
    }
    ts = 1_763_900_000_000
    register, unregister = run_js(
        {
            "op": "registration_body",
            "mailboxSeed": b64(mailbox.seed),
            "subscription": subscription,
            "ts": ts,
        },
        {
            "op": "unregistration_body",
            "mailboxSeed": b64(mailbox.seed),
            "endpoint": subscription["endpoint"],
            "ts": ts,
        },
    )
    assert register == register_request(mailbox.keys, subscription, ts)
    assert unregister == unregister_request(mailbox.keys, subscription["endpoint"], ts)
