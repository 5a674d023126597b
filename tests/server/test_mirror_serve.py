"""`mirror-serve` over real consumers (docs/protocol.md §3, §12): only a connection that
signs its own connection key with the configured mirror key, within 60 s of the server's
clock, after hello, is registered; every refusal is `bad_mirror` and registers nothing.
"""

import os

import pytest
from nacl.signing import SigningKey

from signal_server.state.factory import shared_state

from .mirror_fixtures import ask, now_ms, serve, serve_frame, serving_frame
from .wire import b64, new_key, unb64

pytestmark = pytest.mark.also_on_redis


async def registered_id() -> bytes | None:
    mirror = await shared_state().mirrors.current()
    return None if mirror is None else mirror.id


async def test_a_connection_that_proves_the_mirror_key_serves(client, mirror_key):
    m = await client()
    await m.send(serve_frame(m, mirror_key))
    assert await m.receive() == serving_frame()
    assert await registered_id() == unb64(m.id)
    mirror = await shared_state().mirrors.current()
    assert mirror is not None and mirror.key == unb64(m.key)
    await m.expect_nothing()


async def refused(c, frame: dict) -> str:
    """`frame` is refused with `bad_mirror` and registers nothing; the error's message."""
    await c.send(frame)
    error = await c.expect_error("bad_mirror", "mirror-serve")
    assert await registered_id() is None
    return error["message"]


async def test_another_key_is_refused_even_when_its_signature_verifies(client, mirror_key):
    m = await client()
    assert "not this server's mirror key" in await refused(m, serve_frame(m, SigningKey.generate()))


async def test_without_a_configured_key_every_mirror_serve_is_refused(client, no_mirror_key):
    m = await client()
    # The message tells the service's operator which setting is missing.
    message = await refused(m, serve_frame(m, SigningKey.generate()))
    assert "no mirror service" in message


@pytest.mark.parametrize("skew_ms", [-61_000, 61_000, -3_600_000, 10**12])
async def test_a_ts_more_than_60_s_from_the_server_clock_is_refused(client, mirror_key, skew_ms):
    m = await client()
    await refused(m, serve_frame(m, mirror_key, ts=now_ms() + skew_ms))


@pytest.mark.parametrize("skew_ms", [-55_000, 55_000])
async def test_a_ts_within_60_s_is_accepted(client, mirror_key, skew_ms):
    m = await client()
    await m.send(serve_frame(m, mirror_key, ts=now_ms() + skew_ms))
    assert await m.receive() == serving_frame()


async def test_a_signature_over_another_connection_key_is_refused(client, mirror_key):
    # What a replayed frame of the real service's connection would carry.
    m = await client()
    await refused(m, serve_frame(m, mirror_key, connection_key=new_key()))


async def test_a_signature_in_another_context_is_refused(client, mirror_key):
    m = await client()
    await refused(m, serve_frame(m, mirror_key, context=b"parley-mirror-serve-v2"))


async def test_a_signature_over_another_ts_is_refused(client, mirror_key):
    m = await client()
    frame = serve_frame(m, mirror_key)
    frame["ts"] -= 1
    await refused(m, frame)


async def test_random_signature_bytes_are_refused(client, mirror_key):
    m = await client()
    await refused(m, {**serve_frame(m, mirror_key), "sig": b64(os.urandom(64))})


async def test_mirror_serve_needs_hello_first(client, mirror_key):
    m = await client(hello=False)
    await m.send(serve_frame(m, mirror_key))
    await m.expect_error("hello_required", "mirror-serve")
    assert await registered_id() is None


async def test_the_key_file_is_read_when_needed_and_again_when_it_changes(
    client, settings, tmp_path
):
    settings.PARLEY_MIRROR_KEY = ""
    settings.PARLEY_MIRROR_KEY_FILE = path = tmp_path / "mirror.pub"
    first, second = SigningKey.generate(), SigningKey.generate()
    m = await client()
    # The service has not started yet: no file, no mirror.
    await refused(m, serve_frame(m, first))
    path.write_text(b64(bytes(first.verify_key)) + "\n")
    await serve(m, first)
    # The service made a new key: the old one no longer serves.
    replacement = tmp_path / "mirror.pub.tmp"
    replacement.write_text(b64(bytes(second.verify_key)) + "\n")
    replacement.replace(path)
    other = await client()
    await other.send(serve_frame(other, first))
    await other.expect_error("bad_mirror", "mirror-serve")
    await serve(other, second)


async def test_bad_mirror_counts_toward_4001_and_no_mirror_does_not(client, limits, mirror_key):
    limits(MAX_ERRORS=2)
    asker = await client()
    # no_mirror depends on the mirror's connection, not on this one.
    for _ in range(5):
        await ask(asker)
        await asker.expect_error("no_mirror", "mirror")
    await asker.send({"type": "ping"})
    await asker.expect("pong")

    m = await client()
    for _ in range(2):
        await m.send(serve_frame(m, SigningKey.generate()))
        await m.expect_error("bad_mirror", "mirror-serve")
    await m.send(serve_frame(m, SigningKey.generate()))
    await m.expect_error("bad_mirror", "mirror-serve")
    await m.expect_close(4001)
