"""Altered envelopes and entries, made on the Python side: the browser modules and
parley_peer both reject each one with the documented reason code (or both accept it)."""

import json

from parley_peer.encoding import b64url_decode as unb64
from parley_peer.encoding import b64url_encode as b64
from parley_peer.entry import create_entry
from parley_peer.envelope import encode_envelope_plaintext, seal_envelope, seal_plaintext

from .conftest import NOW, Scene, hand_built_entry, hand_built_plaintext, run_js

OK = "ok"
PAIRS_AND_A = "\\ud83c\\udf89" * 1000 + "a" * 3000  # 4000 code points, 15000 bytes


def outcome(result: dict) -> str:
    return result.get("error", OK)


def sibling_of(character: str) -> str:
    """The base64url character that differs in the lowest bit (a spare bit at the end)."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    return alphabet[alphabet.index(character) ^ 1]


def flip(data: bytes, offset: int, mask: int = 1) -> bytes:
    changed = bytearray(data)
    changed[offset] ^= mask
    return bytes(changed)


def envelope_cases(scene: Scene) -> dict[str, tuple[str, dict, str]]:
    """name -> (blob, open overrides, expected code)."""
    blob = seal_envelope(**scene.envelope_options())
    sealed = unb64(blob)
    plain = encode_envelope_plaintext(**scene.envelope_options())
    end = 157 + len(b'{"candidate":null}')

    def to_bob(plaintext: bytes) -> str:
        return seal_plaintext(plaintext, scene.bob.connection_key)

    def payload(text: str | bytes) -> str:
        raw = text.encode() if isinstance(text, str) else text
        return to_bob(hand_built_plaintext(scene, raw))

    cases = {
        "untouched": (blob, {}, OK),
        "truncated blob": (blob[:-1], {}, "malformed"),
        "padded blob": (blob + "==", {}, "malformed"),
        "non-canonical last character": (blob[:-1] + sibling_of(blob[-1]), {}, "malformed"),
        "standard alphabet": (blob[:-2] + "+" + blob[-1], {}, "malformed"),
        "sealed to carol": (
            seal_envelope(
                **scene.envelope_options(recipient_connection_key=scene.carol.connection_key)
            ),
            {},
            "undecryptable",
        ),
        "version 2": (to_bob(b"\x02" + plain[1:]), {}, "bad_version"),
        "length past the end": (
            to_bob(plain[:153] + (900).to_bytes(4, "big") + plain[157:]),
            {},
            "malformed",
        ),
        "dirty padding": (to_bob(flip(plain, 1023)), {}, "malformed"),
        "addressed to carol": (
            to_bob(
                encode_envelope_plaintext(
                    **scene.envelope_options(recipient_connection_key=scene.carol.connection_key)
                )
            ),
            {},
            "wrong_recipient",
        ),
        "other topic": (blob, {"topic": scene.other_room.discovery_key}, "wrong_topic"),
        "other sender key": (
            blob,
            {"expected_sender_connection_key": scene.carol.connection_key},
            "wrong_sender",
        ),
        "other membership key": (
            blob,
            {"membership_key": scene.other_room.membership_key},
            "not_member",
        ),
        "timestamp altered": (to_bob(flip(plain, 136)), {}, "not_member"),
        "payload altered": (to_bob(flip(plain, 160)), {}, "not_member"),
        "mac altered": (to_bob(flip(plain, end)), {}, "not_member"),
        "signature altered": (to_bob(flip(plain, end + 32)), {}, "bad_signature"),
        "signed by carol as alice": (
            to_bob(hand_built_plaintext(scene, b'{"candidate":null}', signer=scene.carol.identity)),
            {},
            "bad_signature",
        ),
        "ten minutes old": (blob, {"now": NOW + 600_000}, "stale"),
        "31 s in the future": (blob, {"now": NOW - 31_000}, "stale"),
        "payload NaN": (payload('{"candidate":NaN}'), {}, "malformed"),
        "payload with BOM": (payload('\ufeff{"candidate":null}'), {}, "malformed"),
        "payload invalid UTF-8": (payload(b'{"candidate":"\xff"}'), {}, "malformed"),
        "payload UTF-8 surrogate": (payload(b'{"candidate":"\xed\xa0\x80"}'), {}, "malformed"),
        "payload raw tab in string": (
            payload('{"candidate":{"candidate":"a\tb"}}'),
            {},
            "malformed",
        ),
        "payload two keys": (payload('{"candidate":null,"description":null}'), {}, "malformed"),
        "payload deeply nested": (payload("[" * 5000 + "]" * 5000), {}, "malformed"),
        "index 1.5": (
            payload('{"candidate":{"candidate":"","sdpMLineIndex":1.5}}'),
            {},
            "malformed",
        ),
        "index 65536": (
            payload('{"candidate":{"candidate":"","sdpMLineIndex":65536}}'),
            {},
            "malformed",
        ),
        "index 1e400": (
            payload('{"candidate":{"candidate":"","sdpMLineIndex":1e400}}'),
            {},
            "malformed",
        ),
        "index 1.0e0": (payload('{"candidate":{"candidate":"","sdpMLineIndex":1.0e0}}'), {}, OK),
        "index -0": (payload('{"candidate":{"candidate":"","sdpMLineIndex":-0}}'), {}, OK),
        "duplicate key": (payload('{"candidate":1,"candidate":null}'), {}, OK),
        "escaped lone surrogate": (payload('{"candidate":{"candidate":"\\ud800"}}'), {}, OK),
        "whitespace around": (payload(' \n{"candidate":null}\t'), {}, OK),
    }
    for offset in (0, 31, 32, 48, 500, len(sealed) - 1):
        cases[f"bit flipped at {offset}"] = (b64(flip(sealed, offset, 0x80)), {}, "undecryptable")
    return cases


def test_js_and_python_reject_each_altered_envelope_with_the_same_code(scene) -> None:
    cases = envelope_cases(scene)
    js = run_js(*(scene.js_open(blob, **overrides) for blob, overrides, _ in cases.values()))
    expected = {name: code for name, (_, _, code) in cases.items()}
    assert {name: outcome(result) for name, result in zip(cases, js, strict=True)} == expected
    python = {
        name: outcome(scene.python_open(blob, **over)) for name, (blob, over, _) in cases.items()
    }
    assert python == expected


def entry_cases(scene: Scene) -> dict[str, tuple[bytes, dict, str]]:
    """name -> (entry bytes, open overrides, expected code)."""
    entry = create_entry(
        identity=scene.alice.identity,
        seq=0,
        body={"type": "message", "ts": NOW, "clock": 1, "text": "hi"},
        message_key=scene.room.message_key,
        discovery_key=scene.room.discovery_key,
    ).data

    def body(text: str | bytes, seq: int = 0) -> bytes:
        raw = text.encode() if isinstance(text, str) else text
        return hand_built_entry(scene, raw, seq=seq)

    def message(ts: str = "1", text: str = '"x"', extra: str = "") -> bytes:
        return body(f'{{"type":"message","ts":{ts},"clock":1,"text":{text}{extra}}}')

    return {
        "untouched": (entry, {}, OK),
        "version 2": (b"\x02" + entry[1:], {}, "malformed"),
        "truncated": (entry[:-1], {}, "malformed"),
        "extended": (entry + b"\0", {}, "malformed"),
        "ciphertext length altered": (flip(entry, 100), {}, "malformed"),
        "sequence past 2^53 - 1": (
            entry[:33] + (2**53).to_bytes(8, "big") + entry[41:],
            {},
            "malformed",
        ),
        "author altered": (flip(entry, 5), {}, "bad_signature"),
        "prev altered": (flip(entry, 50), {}, "bad_signature"),
        "ciphertext altered": (flip(entry, 110), {}, "bad_signature"),
        "signature altered": (flip(entry, len(entry) - 1), {}, "bad_signature"),
        "other room": (entry, {"room": scene.other_room}, "bad_signature"),
        "sequence 2^53 - 1": (
            body('{"type":"message","ts":1,"clock":1,"text":"x"}', seq=2**53 - 1),
            {},
            OK,
        ),
        "ts 1.0": (message(ts="1.0"), {}, OK),
        "ts 1e3": (message(ts="1e3"), {}, OK),
        "ts -0": (message(ts="-0"), {}, OK),
        "ts 1.5": (message(ts="1.5"), {}, "malformed"),
        "ts 2^53": (message(ts=str(2**53)), {}, "malformed"),
        "ts true": (message(ts="true"), {}, "malformed"),
        "ts NaN": (message(ts="NaN"), {}, "malformed"),
        "empty text": (message(text='""'), {}, "malformed"),
        "4000 emoji": (message(text=json.dumps("🎉" * 4000, ensure_ascii=False)), {}, OK),
        "4001 emoji": (message(text=json.dumps("🎉" * 4001, ensure_ascii=False)), {}, "malformed"),
        "4000 code points, some escaped pairs": (message(text=f'"{PAIRS_AND_A}"'), {}, OK),
        "4001 code points, some escaped pairs": (
            message(text=f'"{PAIRS_AND_A}b"'),
            {},
            "malformed",
        ),
        "extra key": (message(extra=',"edited":true'), {}, "malformed"),
        "other type": (body('{"type":"Message","ts":1,"clock":1,"text":"x"}'), {}, "malformed"),
        "BOM": (body('\ufeff{"type":"message","ts":1,"clock":1,"text":"x"}'), {}, "malformed"),
        "body over 16384 bytes": (message(extra=" " * 16400), {}, "malformed"),
        "deeply nested": (body("[" * 8000 + "]" * 8000), {}, "malformed"),
        "invalid UTF-8": (
            body(b'{"type":"message","ts":1,"clock":1,"text":"\xc0\x80"}'),
            {},
            "malformed",
        ),
    } | {
        f"{name} body": (body(text), {}, expected)
        for name, (text, expected) in body_schema_cases().items()
    }


def body_schema_cases() -> dict[str, tuple[str, str]]:
    """name -> (body JSON, expected code) for the entry types of §7."""
    target = b64(bytes(range(32)))
    # 43 characters whose spare bits are not zero: a second spelling of an id (§1).
    non_canonical = target[:-1] + sibling_of(target[-1])

    def typed(kind: str, fields: str, clock: str = "2") -> str:
        return f'{{"type":"{kind}","ts":1,"clock":{clock}{fields}}}'

    def reaction(emoji: str, on: str = "true") -> str:
        return typed("reaction", f',"target":"{target}","emoji":{emoji},"on":{on}')

    call_id = b64(bytes(range(200, 216)))  # 16 bytes: 22 characters, 4 spare bits

    def call(event: str = '"started"', extra: str = "", id_text: str = call_id) -> str:
        return typed("call", f',"call":"{id_text}","event":{event},"video":true{extra}')

    return {
        "no clock": ('{"type":"message","ts":1,"text":"x"}', "malformed"),
        "clock 0": (typed("message", ',"text":"x"', clock="0"), "malformed"),
        "clock 2^53": (typed("message", ',"text":"x"', clock=str(2**53)), "malformed"),
        "clock 1.0": (typed("message", ',"text":"x"', clock="1.0"), OK),
        "reply": (typed("message", f',"text":"x","reply":"{target}"'), OK),
        "reply null": (typed("message", ',"text":"x","reply":null'), "malformed"),
        "reply non-canonical": (
            typed("message", f',"text":"x","reply":"{non_canonical}"'),
            "malformed",
        ),
        "reply 42 chars": (typed("message", f',"text":"x","reply":"{target[:-1]}"'), "malformed"),
        "edit": (typed("edit", f',"target":"{target}","text":"y"'), OK),
        "edit without text": (typed("edit", f',"target":"{target}"'), "malformed"),
        "edit with reply": (
            typed("edit", f',"target":"{target}","text":"y","reply":"{target}"'),
            "malformed",
        ),
        "delete": (typed("delete", f',"target":"{target}"'), OK),
        "delete with text": (typed("delete", f',"target":"{target}","text":"y"'), "malformed"),
        "reaction": (reaction('"👍"'), OK),
        "reaction off": (reaction('"👍"', on="false"), OK),
        "reaction on 1": (reaction('"👍"', on="1"), "malformed"),
        "reaction 8 code points": (reaction('"' + "a" * 8 + '"'), OK),
        "reaction 9 code points": (reaction('"' + "a" * 9 + '"'), "malformed"),
        "reaction 8 four-byte code points": (reaction('"' + "👍" * 8 + '"'), OK),
        "reaction empty": (reaction('""'), "malformed"),
        "reaction lone surrogate": (reaction('"\\ud83d"'), OK),
        "name": (typed("name", ',"name":"' + "🎉" * 64 + '"'), OK),
        "name 65": (typed("name", ',"name":"' + "a" * 65 + '"'), "malformed"),
        "join": (typed("join", ',"name":"Ada"'), OK),
        "join empty": (typed("join", ',"name":""'), "malformed"),
        "join with text": (typed("join", ',"name":"Ada","text":"x"'), "malformed"),
        "type list": ('{"type":["message"],"ts":1,"clock":1,"text":"x"}', "malformed"),
        "mailbox": (typed("mailbox", f',"mailbox":"{target}","notify":"all"'), OK),
        "mailbox mentions": (typed("mailbox", f',"mailbox":"{target}","notify":"mentions"'), OK),
        "mailbox none": (typed("mailbox", f',"mailbox":"{target}","notify":"none"'), OK),
        "mailbox level All": (
            typed("mailbox", f',"mailbox":"{target}","notify":"All"'),
            "malformed",
        ),
        "mailbox without notify": (typed("mailbox", f',"mailbox":"{target}"'), "malformed"),
        "mailbox non-canonical": (
            typed("mailbox", f',"mailbox":"{non_canonical}","notify":"all"'),
            "malformed",
        ),
        "mailbox with text": (
            typed("mailbox", f',"mailbox":"{target}","notify":"all","text":"x"'),
            "malformed",
        ),
        "call started": (call(), OK),
        "call joined": (call('"joined"'), OK),
        "call ended": (call('"ended"', ',"duration":185000'), OK),
        "call ended at 0": (call('"ended"', ',"duration":0'), OK),
        "call ended after a day": (call('"ended"', ',"duration":86400000'), OK),
        "call duration 1.0": (call('"ended"', ',"duration":1.0'), OK),
        "call id last w": (call(id_text="A" * 21 + "w"), OK),
        "call id 21 chars": (call(id_text=call_id[:-1]), "malformed"),
        "call id 23 chars": (call(id_text=call_id + "A"), "malformed"),
        "call id of 32 bytes": (call(id_text=target), "malformed"),
        "call id non-canonical": (call(id_text="A" * 21 + "B"), "malformed"),
        "call id spare bit 3": (call(id_text="A" * 21 + "I"), "malformed"),
        "call event ringing": (call('"ringing"'), "malformed"),
        "call event Started": (call('"Started"'), "malformed"),
        "call video 1": (
            typed("call", f',"call":"{call_id}","event":"started","video":1'),
            "malformed",
        ),
        "call started with duration": (call(extra=',"duration":1000'), "malformed"),
        "call joined with duration": (call('"joined"', ',"duration":0'), "malformed"),
        "call ended without duration": (call('"ended"'), "malformed"),
        "call duration negative": (call('"ended"', ',"duration":-1'), "malformed"),
        "call duration 1.5": (call('"ended"', ',"duration":1.5'), "malformed"),
        "call duration over a day": (call('"ended"', ',"duration":86400001'), "malformed"),
        "call duration text": (call('"ended"', ',"duration":"1000"'), "malformed"),
        "call duration null": (call('"ended"', ',"duration":null'), "malformed"),
        "call with text": (call(extra=',"text":"x"'), "malformed"),
        "room": (typed("room", ',"name":"Weekend plans"'), OK),
        "room 64 code points": (typed("room", ',"name":"' + "🎉" * 64 + '"'), OK),
        "room 65": (typed("room", ',"name":"' + "a" * 65 + '"'), "malformed"),
        "room empty": (typed("room", ',"name":""'), "malformed"),
        "room without name": (typed("room", ""), "malformed"),
        "leave": (typed("leave", ""), OK),
        "leave with name": (typed("leave", ',"name":"Ada"'), "malformed"),
        "read": (typed("read", ',"upTo":12'), OK),
        "read at 2^53 - 1": (typed("read", f',"upTo":{2**53 - 1}'), OK),
        "read 1.0": (typed("read", ',"upTo":1.0'), OK),
        "read 0": (typed("read", ',"upTo":0'), "malformed"),
        "read 1.5": (typed("read", ',"upTo":1.5'), "malformed"),
        "read 2^53": (typed("read", f',"upTo":{2**53}'), "malformed"),
        "read as text": (typed("read", ',"upTo":"3"'), "malformed"),
        "read without upTo": (typed("read", ""), "malformed"),
    }


def test_js_and_python_reject_each_altered_entry_with_the_same_code(scene) -> None:
    cases = entry_cases(scene)
    js = run_js(*(scene.js_open_entry(data, **over) for data, over, _ in cases.values()))
    expected = {name: code for name, (_, _, code) in cases.items()}
    assert {name: outcome(result) for name, result in zip(cases, js, strict=True)} == expected
    python = {
        name: outcome(scene.python_open_entry(data, **over))
        for name, (data, over, _) in cases.items()
    }
    assert python == expected


def test_an_entry_under_another_message_key_is_undecryptable_on_both_sides(scene) -> None:
    entry = hand_built_entry(scene, b'{"type":"message","ts":1,"text":"x"}')
    stranger = Scene(
        room=type(scene.room)(
            discovery_key=scene.room.discovery_key,
            message_key=scene.other_room.message_key,
            membership_key=scene.room.membership_key,
            mirror_key=scene.room.mirror_key,
            control_key=scene.other_room.control_key,
        ),
        other_room=scene.other_room,
        alice=scene.alice,
        bob=scene.bob,
        carol=scene.carol,
    )
    (js,) = run_js(stranger.js_open_entry(entry))
    assert js == stranger.python_open_entry(entry) == {"error": "undecryptable"}
