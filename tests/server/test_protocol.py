"""parse_frame: one frame of text in, one typed frame or one protocol error out."""

import json
import os

import pytest
from hypothesis import given
from hypothesis import strategies as st

from signal_server.protocol import (
    Hello,
    Join,
    Leave,
    Ping,
    ProtocolError,
    Signal,
    b64url_length,
    decode_b64url,
    parse_frame,
    signal_text,
)

from .wire import b64, new_id, new_key, new_topic, sealed_blob, unb64

LIMIT = 32768


def parse(obj) -> object:
    return parse_frame(json.dumps(obj), LIMIT)


def error_of(text: str, limit: int = LIMIT) -> ProtocolError:
    with pytest.raises(ProtocolError) as caught:
        parse_frame(text, limit)
    return caught.value


def test_each_client_frame_parses_to_its_type():
    key, topic, to, blob = new_key(), new_topic(), new_id(), sealed_blob(4144)
    assert parse({"type": "hello", "v": 1, "key": key}) == Hello(key=unb64(key))
    assert parse({"type": "join", "topic": topic}) == Join(topic=unb64(topic))
    assert parse({"type": "leave", "topic": topic}) == Leave(topic=unb64(topic))
    signal = parse({"type": "signal", "topic": topic, "to": to, "blob": blob})
    assert signal == Signal(topic=unb64(topic), to=unb64(to), blob=blob)
    assert parse({"type": "ping"}) == Ping()


@pytest.mark.parametrize("size", [1072, 4144, 16432])
def test_every_sealed_size_is_a_valid_blob(size):
    blob = sealed_blob(size)
    frame = parse({"type": "signal", "topic": new_topic(), "to": new_id(), "blob": blob})
    assert frame.blob == blob


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        "",
        "[1, 2]",
        '"hello"',
        "null",
        '{"type": "ping"',
        '{"type": "ping", "type": "ping"}',  # duplicate key
        '{"type": "ping", "x": NaN}',
        "[" * 5000 + "]" * 5000,  # deeper than the JSON parser recurses
        '{"type": "ping"}\ud800',  # a lone surrogate is not UTF-8
    ],
)
def test_bad_json(text):
    error = error_of(text)
    assert (error.code, error.ref) == ("bad_json", None)


@pytest.mark.parametrize(
    "obj",
    [{}, {"type": 1}, {"type": None}, {"type": "welcome"}, {"type": "pong"}, {"type": "HELLO"}],
)
def test_unknown_type(obj):
    error = error_of(json.dumps(obj))
    assert (error.code, error.ref) == ("unknown_type", None)


@pytest.mark.parametrize(
    "obj",
    [
        {"type": "ping", "extra": 1},
        {"type": "hello", "key": "k"},  # v missing
        {"type": "hello", "v": 1},  # key missing
        {"type": "hello", "v": True, "key": "k"},  # a bool is not the integer 1
        {"type": "hello", "v": 1.0, "key": "k"},
        {"type": "hello", "v": "1", "key": "k"},
        {"type": "hello", "v": 1, "key": 5},
        {"type": "hello", "v": 1, "key": "k", "name": "x"},
        {"type": "join"},
        {"type": "join", "topic": None},
        {"type": "join", "topic": ["a"]},
        {"type": "leave", "topic": 1},
        {"type": "signal", "topic": "t", "to": "i"},
        {"type": "signal", "topic": "t", "to": 1, "blob": "b"},
        {"type": "signal", "topic": "t", "to": "i", "blob": "b", "from": "i"},
    ],
)
def test_bad_frame(obj):
    error = error_of(json.dumps(obj))
    assert (error.code, error.ref) == ("bad_frame", obj["type"])


@pytest.mark.parametrize("version", [0, 2, -1, 10**30])
def test_bad_version_is_reported_before_the_rest_of_hello(version):
    error = error_of(json.dumps({"type": "hello", "v": version, "future": "field"}))
    assert (error.code, error.ref) == ("bad_version", "hello")


def _spellings_of_a_32_byte_value() -> list[str]:
    good = new_key()
    raw = unb64(good)
    return [
        b64(raw[:31]),
        b64(raw + b"\0"),
        good + "=",  # padded
        good[:-1] + "+",  # standard alphabet
        good[:-1] + "/",
        good[:20] + " " + good[21:],
        good[:20] + "é" + good[21:],
        # 32 bytes leave 2 spare bits in the last character; setting one gives a
        # different string that decodes to the same bytes.
        _set_spare_bit(good),
        "",
    ]


def _set_spare_bit(text: str) -> str:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    last = alphabet.index(text[-1])
    return text[:-1] + alphabet[last ^ 1]


@pytest.mark.parametrize("bad", _spellings_of_a_32_byte_value())
def test_bad_key_and_bad_topic(bad):
    error = error_of(json.dumps({"type": "hello", "v": 1, "key": bad}))
    assert (error.code, error.ref) == ("bad_key", "hello")
    for kind in ("join", "leave"):
        error = error_of(json.dumps({"type": kind, "topic": bad}))
        assert (error.code, error.ref) == ("bad_topic", kind)


@pytest.mark.parametrize("bad", [b64(os.urandom(15)), b64(os.urandom(32)), new_id() + "=", "!"])
def test_bad_id(bad):
    frame = {"type": "signal", "topic": new_topic(), "to": bad, "blob": sealed_blob()}
    error = error_of(json.dumps(frame))
    assert (error.code, error.ref) == ("bad_id", "signal")


@pytest.mark.parametrize(
    "bad",
    [b64(os.urandom(1071)), b64(os.urandom(1073)), b64(os.urandom(1024)), sealed_blob() + "="],
)
def test_bad_blob(bad):
    frame = {"type": "signal", "topic": new_topic(), "to": new_id(), "blob": bad}
    error = error_of(json.dumps(frame))
    assert (error.code, error.ref) == ("bad_blob", "signal")


def test_size_is_counted_in_utf8_bytes_before_parsing():
    at_limit = '{"type":"ping"}' + " " * (100 - 15)
    assert parse_frame(at_limit, 100) == Ping()
    assert error_of(at_limit + " ", 100).code == "frame_too_large"
    # 50 characters, 99 bytes: too large although it is short enough in characters.
    assert error_of('"' + "é" * 49, 98).code == "frame_too_large"
    # Not even JSON, but over the limit: the size is what is reported.
    assert error_of("x" * 101, 100).code == "frame_too_large"


def test_decode_b64url_round_trips_every_length():
    for n in range(0, 40):
        raw = os.urandom(n)
        assert decode_b64url(b64(raw)) == raw


B64URL_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


@given(st.text(alphabet=B64URL_ALPHABET + "=+/ .é", max_size=24))
def test_b64url_length_agrees_with_decoding(text):
    # The relayed blob is checked by length and spelling alone, never decoded: the same
    # verdict as decoding it, for every text (non-canonical tails and foreign characters).
    raw = decode_b64url(text)
    assert b64url_length(text) == (None if raw is None else len(raw))


def test_b64url_length_refuses_what_decoding_refuses():
    assert b64url_length(b64(b"\xff")) == 1
    assert b64url_length("_x") is None  # decodes to 0xff too, with a non-zero unused bit
    assert b64url_length("AAA") == 2 and b64url_length("AAB") is None
    assert b64url_length("A") is None and b64url_length("AA==") is None
    assert b64url_length(b64(os.urandom(16432))) == 16432


def test_the_relayed_signal_frame_is_the_json_it_looks_like():
    topic, sender, key, blob = new_topic(), new_id(), new_key(), sealed_blob()
    text = signal_text(topic, sender, key, blob)
    frame = {"type": "signal", "topic": topic, "from": sender, "key": key, "blob": blob}
    assert text == json.dumps(frame, separators=(",", ":"))
