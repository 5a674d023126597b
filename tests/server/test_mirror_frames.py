"""parse_frame for the mirror frames (docs/protocol.md §3, §12): `mirror-serve`,
`mirror`, `mirror-reply`, each good and with each field bad in each way."""

import json
import os

import pytest

from signal_server.protocol import (
    MirrorReply,
    MirrorRequest,
    MirrorServe,
    ProtocolError,
    parse_frame,
)

from .wire import b64, new_id, new_key, sealed_blob, unb64

LIMIT = 32768
MAX_SAFE_INTEGER = 2**53 - 1


def parse(obj) -> object:
    return parse_frame(json.dumps(obj), LIMIT)


def error_of(obj) -> tuple[str, str | None]:
    with pytest.raises(ProtocolError) as caught:
        parse(obj)
    return caught.value.code, caught.value.ref


def serve(**fields) -> dict:
    frame = {"type": "mirror-serve", "key": new_key(), "ts": 1_700_000_000_000}
    frame["sig"] = b64(os.urandom(64))
    return {**frame, **fields}


def request(**fields) -> dict:
    return {"type": "mirror", "blob": sealed_blob(1072), **fields}


def reply(**fields) -> dict:
    return {"type": "mirror-reply", "to": new_id(), "blob": sealed_blob(1072), **fields}


def test_each_mirror_frame_parses_to_its_type():
    frame = serve()
    assert parse(frame) == MirrorServe(
        key=unb64(frame["key"]), ts=frame["ts"], sig=unb64(frame["sig"])
    )
    frame = request()
    assert parse(frame) == MirrorRequest(blob=frame["blob"])
    frame = reply()
    assert parse(frame) == MirrorReply(to=unb64(frame["to"]), blob=frame["blob"])


@pytest.mark.parametrize("ts", [0, 1, MAX_SAFE_INTEGER])
def test_every_ts_a_javascript_number_holds_exactly_parses(ts):
    assert parse(serve(ts=ts)).ts == ts


@pytest.mark.parametrize(
    "obj",
    [
        {"type": "mirror-serve", "ts": 1, "sig": b64(os.urandom(64))},  # key missing
        {"type": "mirror-serve", "key": new_key(), "sig": b64(os.urandom(64))},  # ts missing
        {"type": "mirror-serve", "key": new_key(), "ts": 1},  # sig missing
        serve(key=7),
        serve(ts="1700000000000"),
        serve(ts=1.5),
        serve(ts=1e12),  # a float in JSON, however round
        serve(ts=True),
        serve(ts=None),
        serve(sig=["a"]),
        serve(extra=1),
        {"type": "mirror"},
        request(blob=5),
        request(to=new_id()),
        {"type": "mirror-reply", "blob": sealed_blob(1072)},
        {"type": "mirror-reply", "to": new_id()},
        reply(to=None),
        reply(blob={}),
        reply(topic=new_key()),
    ],
)
def test_bad_frame(obj):
    assert error_of(obj) == ("bad_frame", obj["type"])


@pytest.mark.parametrize(
    "key", [b64(os.urandom(31)), b64(os.urandom(33)), new_key() + "=", "", "not base64!"]
)
def test_a_mirror_serve_key_that_is_not_32_bytes_is_bad_key(key):
    assert error_of(serve(key=key)) == ("bad_key", "mirror-serve")


@pytest.mark.parametrize(
    "sig", [b64(os.urandom(63)), b64(os.urandom(65)), b64(os.urandom(64)) + "=", ""]
)
def test_a_sig_that_is_not_64_bytes_is_bad_mirror(sig):
    assert error_of(serve(sig=sig)) == ("bad_mirror", "mirror-serve")


@pytest.mark.parametrize("ts", [-1, MAX_SAFE_INTEGER + 1, 2**64, 10**400])
def test_a_ts_out_of_range_is_bad_mirror(ts):
    assert error_of(serve(ts=ts)) == ("bad_mirror", "mirror-serve")


@pytest.mark.parametrize("size", [1071, 1073, 4144, 16432, 0])
def test_mirror_blobs_are_exactly_1072_bytes(size):
    assert error_of(request(blob=b64(os.urandom(size)))) == ("bad_blob", "mirror")
    assert error_of(reply(blob=b64(os.urandom(size)))) == ("bad_blob", "mirror-reply")


def test_a_blob_must_be_canonical_base64url():
    blob = sealed_blob(1072)
    for bad in (blob + "=", blob[:-1] + "+", " " + blob[1:]):
        assert error_of(request(blob=bad)) == ("bad_blob", "mirror")
        assert error_of(reply(blob=bad)) == ("bad_blob", "mirror-reply")


@pytest.mark.parametrize("to", [b64(os.urandom(15)), b64(os.urandom(32)), new_id() + "=", "!"])
def test_a_reply_to_that_is_not_a_connection_id_is_bad_id(to):
    assert error_of(reply(to=to)) == ("bad_id", "mirror-reply")


def test_the_fields_are_checked_before_their_values():
    # A missing field is reported even when another field's value is bad too.
    frame = serve(key="short")
    del frame["sig"]
    assert error_of(frame) == ("bad_frame", "mirror-serve")
