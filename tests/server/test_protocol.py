"""parse_frame: one frame of text in, one typed frame or one protocol error out."""

import json
import os

import pytest

from signal_server.protocol import (
    Hello,
    Join,
    Leave,
    Ping,
    ProtocolError,
    Signal,
    decode_b64url,
    parse_frame,
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
