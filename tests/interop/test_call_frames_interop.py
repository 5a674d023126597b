"""Call frames (docs/protocol.md §6) mean the same to the browser and to a Python peer:
a Python peer never joins a call, but a call in its room must not look like misbehaviour,
and a malformed call frame must be refused by both."""

import json

from parley_peer.data_frames import DataFrameError, parse_data_frame
from tests.interop.conftest import run_js

CALL_ID = "A" * 21 + "w"
GOOD = {"t": "call", "id": CALL_ID, "action": "invite", "video": True}
MEDIA = {"t": "call-media", "id": CALL_ID, "mic": True, "camera": False, "screen": None}

CASES = {
    **{
        f"call {a}": ({**GOOD, "action": a}, True)
        for a in ("invite", "accept", "present", "decline", "busy", "hangup")
    },
    "media": (MEDIA, True),
    "media sharing": ({**MEDIA, "screen": "{0b7c5bd9-8f3e-4d55-9d6e-3c1e3b1f6f0a}"}, True),
    "unknown action": ({**GOOD, "action": "ring"}, False),
    "short id": ({**GOOD, "id": "abc"}, False),
    "id with padding": ({**GOOD, "id": "A" * 21 + "="}, False),
    "video as text": ({**GOOD, "video": "yes"}, False),
    "no video": ({k: v for k, v in GOOD.items() if k != "video"}, False),
    "extra field": ({**GOOD, "room": "x"}, False),
    "empty screen id": ({**MEDIA, "screen": ""}, False),
    "long screen id": ({**MEDIA, "screen": "x" * 65}, False),
    "screen id with space": ({**MEDIA, "screen": "a b"}, False),
    "mic as number": ({**MEDIA, "mic": 1}, False),
    "no screen": ({k: v for k, v in MEDIA.items() if k != "screen"}, False),
}


def python_accepts(text: str) -> bool:
    try:
        parse_data_frame(text)
    except DataFrameError:
        return False
    return True


def assert_both_accept_only_the_good(cases: dict) -> None:
    """Each case is (frame, accepted?): the browser's and the Python peer's parsers agree."""
    texts = {name: json.dumps(frame) for name, (frame, _) in cases.items()}
    js = run_js(*({"op": "parse_data_frame", "text": text} for text in texts.values()))
    for (name, (_, expected)), text, result in zip(cases.items(), texts.values(), js, strict=True):
        assert ("error" not in result) is expected, f"browser: {name}: {result}"
        assert python_accepts(text) is expected, f"python: {name}"


def test_browser_and_python_agree_on_call_frames():
    assert_both_accept_only_the_good(CASES)


def test_browser_and_python_agree_on_bye():
    assert_both_accept_only_the_good(
        {
            "duplicate": ({"t": "bye", "reason": "duplicate"}, True),
            "pruned": ({"t": "bye", "reason": "pruned"}, True),
            "other reason": ({"t": "bye", "reason": "left"}, False),
            "no reason": ({"t": "bye"}, False),
            "extra field": ({"t": "bye", "reason": "duplicate", "at": 1}, False),
        }
    )


def test_browser_and_python_agree_on_members():
    one = {"id": "A" * 21 + "w", "key": "B" * 42 + "4"}

    def members(*peers: object) -> dict:
        return {"t": "members", "peers": list(peers)}

    assert_both_accept_only_the_good(
        {
            "one": (members(one), True),
            "sixteen": (members(*[one] * 16), True),
            "seventeen": (members(*[one] * 17), False),
            "none": (members(), False),
            "an id of 15 bytes": (members({**one, "id": "A" * 20}), False),
            "an id with spare bits": (members({**one, "id": "A" * 21 + "x"}), False),
            "a key of 31 bytes": (members({**one, "key": "B" * 42}), False),
            "a key with spare bits": (members({**one, "key": "B" * 42 + "5"}), False),
            "an extra field": (members({**one, "name": "x"}), False),
            "a list": (members([one["id"], one["key"]]), False),
            "peers not a list": ({"t": "members", "peers": one}, False),
        }
    )


def test_browser_and_python_agree_on_a_mirror_hello():
    hello = {"t": "hello", "v": 1, "name": "Mirror", "proof": "A" * 85 + "w"}
    assert_both_accept_only_the_good(
        {
            "a member's": (hello, True),
            "a mirror's": ({**hello, "role": "mirror"}, True),
            "another role": ({**hello, "role": "admin"}, False),
            "a null role": ({**hello, "role": None}, False),
            "a role and an extra field": ({**hello, "role": "mirror", "x": 1}, False),
            "a role without a proof": (
                {"t": "hello", "v": 1, "name": "M", "role": "mirror"},
                False,
            ),
        }
    )


def test_browser_and_python_agree_on_keep():
    root = "A" * 42 + "w"
    assert_both_accept_only_the_good(
        {
            "a file": ({"t": "keep", "root": root, "size": 5 * 2**20}, True),
            "an empty file": ({"t": "keep", "root": root, "size": 0}, True),
            "the largest file": ({"t": "keep", "root": root, "size": 2**41}, True),
            "too large": ({"t": "keep", "root": root, "size": 2**41 + 1}, False),
            "negative size": ({"t": "keep", "root": root, "size": -1}, False),
            "short root": ({"t": "keep", "root": "A" * 42, "size": 1}, False),
            "no size": ({"t": "keep", "root": root}, False),
            "extra field": ({"t": "keep", "root": root, "size": 1, "name": "x"}, False),
            "chunk format 2": ({"t": "keep", "root": root, "size": 1, "format": 2}, True),
            "format 1 said": ({"t": "keep", "root": root, "size": 1, "format": 1}, False),
            "format 3": ({"t": "keep", "root": root, "size": 1, "format": 3}, False),
            "format as text": ({"t": "keep", "root": root, "size": 1, "format": "2"}, False),
            "format true": ({"t": "keep", "root": root, "size": 1, "format": True}, False),
            "format null": ({"t": "keep", "root": root, "size": 1, "format": None}, False),
        }
    )


def test_browser_and_python_agree_on_a_wake_for_a_mirror():
    entry, mailbox = "B" * 42 + "A", "C" * 42 + "g"
    blob = "D" * 1429 + "Q"
    good = {"t": "wake", "entry": entry, "mailbox": mailbox, "blob": blob}
    assert_both_accept_only_the_good(
        {
            "a wake": (good, True),
            "a short blob": ({**good, "blob": blob[:-2] + "Q"}, False),
            "a blob with spare bits set": ({**good, "blob": blob[:-1] + "B"}, False),
            "a blob with padding": ({**good, "blob": blob[:-1] + "="}, False),
            "a short mailbox": ({**good, "mailbox": "C" * 42}, False),
            "no entry": ({k: v for k, v in good.items() if k != "entry"}, False),
            "an extra field": ({**good, "kind": "message"}, False),
        }
    )
