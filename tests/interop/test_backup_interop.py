"""Identity backups (docs/protocol.md §9) made on one side open on the other with the same
contents, and both sides give the same error code for the same bad file or input."""

import json
import unicodedata

import nacl.bindings
import nacl.pwhash.argon2id
import nacl.utils
import pytest

from parley_peer.backup import (
    DEFAULT_MEMLIMIT,
    DEFAULT_OPSLIMIT,
    MAX_BACKUP_BYTES,
    BackupError,
    open_backup,
    read_backup,
    seal_backup,
)
from parley_peer.encoding import b64url_decode as unb64
from parley_peer.encoding import b64url_encode as b64

from .conftest import Party, run_js

MiB = 1024 * 1024
FAST = {"opslimit": 2, "memlimit": 32 * MiB}
PASSPHRASE = "correct horse battery staple"


def identity(name: str = "Ada") -> dict:
    key = Party.new().identity
    public_key = key.verify_key.encode()
    return {"publicKey": b64(public_key), "secretKey": b64(key.encode() + public_key), "name": name}


def contents_of(**overrides) -> dict:
    return {
        "v": 1,
        "createdAt": 1_790_000_000_000,
        "identity": identity("Zoë 🎉"),
        "rooms": [
            {
                "secret": b64(nacl.utils.random(32)),
                "name": "Wochenende 🏔",
                "createdAt": 1_780_000_000_000,
                "ownLength": 12,
                "ownHead": b64(nacl.utils.random(32)),
            },
            {
                "secret": b64(nacl.utils.random(32)),
                "name": "x" * 64,
                "createdAt": 0,
                "ownLength": 0,
                "ownHead": None,
            },
        ],
        "contacts": [
            {"id": b64(nacl.utils.random(32)), "name": "", "verifiedAt": None},
            {"id": b64(nacl.utils.random(32)), "name": "Grace", "verifiedAt": 1_785_000_000_000},
        ],
    } | overrides


def python_open(file: bytes, passphrase: str) -> dict:
    try:
        return {"contents": open_backup(file, passphrase)}
    except BackupError as error:
        return {"error": error.code}


def python_seal(contents: object, passphrase: str) -> str:
    try:
        seal_backup(contents, passphrase, **FAST)  # type: ignore[arg-type]
    except BackupError as error:
        return error.code
    return "ok"


def js_open(file: bytes, passphrase: str) -> dict:
    return {"op": "open_backup", "file": b64(file), "passphrase": passphrase}


def js_seal(contents: object, passphrase: str, params: dict | None = FAST) -> dict:
    return {"op": "seal_backup", "contents": contents, "passphrase": passphrase, "params": params}


def test_a_js_backup_opens_in_python_and_a_python_backup_in_js() -> None:
    contents = contents_of()
    js_fast, js_default = run_js(js_seal(contents, PASSPHRASE), js_seal(contents, PASSPHRASE, None))
    for result in (js_fast, js_default):
        assert python_open(unb64(result["file"]), PASSPHRASE) == {"contents": contents}
    assert read_backup(unb64(js_default["file"])).opslimit == DEFAULT_OPSLIMIT
    assert read_backup(unb64(js_default["file"])).memlimit == DEFAULT_MEMLIMIT

    python_file = seal_backup(contents, PASSPHRASE, **FAST)
    python_default = seal_backup(contents, PASSPHRASE)
    assert (
        run_js(js_open(python_file, PASSPHRASE), js_open(python_default, PASSPHRASE))
        == [{"contents": contents}] * 2
    )


def test_a_wrong_passphrase_is_wrong_passphrase_on_both_sides() -> None:
    contents = contents_of()
    (js_file,) = run_js(js_seal(contents, PASSPHRASE))
    files = [unb64(js_file["file"]), seal_backup(contents, PASSPHRASE, **FAST)]
    wrong = "correct horse battery stapler"
    assert run_js(*(js_open(file, wrong) for file in files)) == [{"error": "wrong_passphrase"}] * 2
    assert [python_open(file, wrong) for file in files] == [{"error": "wrong_passphrase"}] * 2


def test_passphrases_are_compared_after_nfc_and_lone_surrogates_as_u_fffd() -> None:
    contents = contents_of()
    composed = "café crème brûlée"
    python_file = seal_backup(contents, unicodedata.normalize("NFD", composed), **FAST)
    surrogate_file = seal_backup(contents, "passphrase\ud800", **FAST)
    opened = run_js(
        js_open(python_file, composed),
        js_open(surrogate_file, "passphrase\ud800"),
        js_open(surrogate_file, "passphrase\ufffd"),
    )
    assert opened == [{"contents": contents}] * 3
    (js_file,) = run_js(js_seal(contents, composed))
    assert python_open(unb64(js_file["file"]), unicodedata.normalize("NFD", composed)) == {
        "contents": contents
    }


def hand_built(plaintext: bytes, version: int = 1, kdf: int = 1, opslimit: int = 2) -> bytes:
    """Straight from the §9 table with PyNaCl, without parley_peer.backup."""
    salt, nonce = nacl.utils.random(16), nacl.utils.random(24)
    header = b"PARLEYBK" + bytes([version, kdf]) + opslimit.to_bytes(4, "big")
    header += (32 * MiB).to_bytes(4, "big") + salt + nonce
    key = nacl.pwhash.argon2id.kdf(32, PASSPHRASE.encode(), salt, opslimit=2, memlimit=32 * MiB)
    return header + nacl.bindings.crypto_aead_xchacha20poly1305_ietf_encrypt(
        plaintext, header, nonce, key
    )


def flip(data: bytes, offset: int, mask: int = 1) -> bytes:
    changed = bytearray(data)
    changed[offset] ^= mask
    return bytes(changed)


def test_bad_files_give_the_same_code_on_both_sides() -> None:
    contents = contents_of()
    file = seal_backup(contents, PASSPHRASE, **FAST)
    other = identity()
    mismatched = contents | {"identity": contents["identity"] | {"publicKey": other["publicKey"]}}
    cases = {
        "untouched": (file, None),
        "empty": (b"", "not_a_backup"),
        "png": (b"\x89PNG\r\n\x1a\n" + file[8:], "not_a_backup"),
        "magic": (flip(file, 0), "not_a_backup"),
        "only magic": (file[:8], "corrupt"),
        "version 2": (flip(file, 8, 3), "unsupported_version"),
        "version 2, short": (flip(file, 8, 3)[:9], "unsupported_version"),
        "kdf 0": (flip(file, 9), "corrupt"),
        "header only": (file[:58], "corrupt"),
        "opslimit 11": (hand_built(b"{}", opslimit=11), "corrupt"),
        "memlimit 512 MiB": (flip(file, 14, 0x22), "corrupt"),
        "memlimit + 1 byte": (flip(file, 17), "wrong_passphrase"),
        "opslimit 3": (flip(file, 13), "wrong_passphrase"),
        "salt": (flip(file, 18), "wrong_passphrase"),
        "nonce": (flip(file, 40), "wrong_passphrase"),
        "tag": (flip(file, len(file) - 1), "wrong_passphrase"),
        "truncated": (file[:-1], "wrong_passphrase"),
        "too large": (file.ljust(MAX_BACKUP_BYTES + 1, b"\0"), "too_large"),
        "not json": (hand_built(b"not json"), "malformed_contents"),
        "bom": (hand_built(b"\xef\xbb\xbf" + json.dumps(contents).encode()), "malformed_contents"),
        "mismatched key pair": (hand_built(json.dumps(mismatched).encode()), "malformed_contents"),
        "kdf 2": (hand_built(b"{}", kdf=2), "corrupt"),
    }
    expected = [{"error": code} if code else {"contents": contents} for _, code in cases.values()]
    assert run_js(*(js_open(data, PASSPHRASE) for data, _ in cases.values())) == expected
    assert [python_open(data, PASSPHRASE) for data, _ in cases.values()] == expected


def test_sealing_refuses_the_same_inputs_on_both_sides() -> None:
    good = contents_of()
    room = good["rooms"][0]
    cases = [
        (good, PASSPHRASE, "ok"),
        (good, "1234567", "weak_passphrase"),
        (good, "🎉" * 7, "weak_passphrase"),
        (good, "e\u0301" * 7, "weak_passphrase"),
        (good, "🎉" * 8, "ok"),
        (good | {"v": 2}, PASSPHRASE, "malformed_contents"),
        (good | {"extra": 1}, PASSPHRASE, "malformed_contents"),
        (good | {"createdAt": 1.5}, PASSPHRASE, "malformed_contents"),
        (good | {"rooms": [room, room]}, PASSPHRASE, "malformed_contents"),
        (good | {"rooms": [room | {"ownHead": None}]}, PASSPHRASE, "malformed_contents"),
        (good | {"identity": identity("a" * 65)}, PASSPHRASE, "malformed_contents"),
        (good | {"identity": identity("🎉" * 64)}, PASSPHRASE, "ok"),
        ([], PASSPHRASE, "malformed_contents"),
    ]
    js = run_js(*(js_seal(contents, passphrase) for contents, passphrase, _ in cases))
    assert [result.get("error", "ok") for result in js] == [code for *_, code in cases]
    assert [python_seal(contents, passphrase) for contents, passphrase, _ in cases] == [
        code for *_, code in cases
    ]


@pytest.mark.parametrize("params", [{"opslimit": 1}, {"memlimit": 512 * MiB}])
def test_out_of_range_parameters_are_refused_when_sealing(params: dict) -> None:
    with pytest.raises(ValueError):
        seal_backup(contents_of(), PASSPHRASE, **(FAST | params))
