"""`manage.py serve --mirror` (what `make run` starts): the server and a mirror service
beside it, with nothing configured: the service makes its key, the server finds it and
tells clients, and a request sealed to it is answered."""

import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request

from e2e.server import ROOT, HeldPort, start_serving, stop
from parley_peer.encoding import b64url_decode
from parley_peer.keys import derive_room_keys, new_room_secret
from parley_peer.mirror_request import MirrorCapability, open_reply, seal_request
from parley_peer.signaling import SignalingClient

WAIT_S = 30


def mirror_key(url: str) -> bytes | None:
    with urllib.request.urlopen(f"{url}/mirror", timeout=5) as answer:
        mirror = json.load(answer)["mirror"]
    return None if mirror is None else b64url_decode(mirror["key"], 32)


async def ask_hold(url: str, key: bytes) -> dict:
    client = SignalingClient(url)
    await client.connect()
    replies: asyncio.Queue[dict] = asyncio.Queue()
    client.add_listener(replies.put_nowait)
    try:
        capability = MirrorCapability.of(derive_room_keys(new_room_secret()))
        for _ in range(WAIT_S * 10):  # the service may still be registering
            await client.request_mirror(seal_request("hold", capability, key))
            frame = await asyncio.wait_for(replies.get(), WAIT_S)
            if frame["type"] == "mirror-reply":
                return open_reply(frame["blob"], client.connection_key)
            assert frame.get("code") == "no_mirror", frame
            await asyncio.sleep(0.1)
        raise AssertionError("the mirror service never registered")
    finally:
        await client.close()


def test_serve_with_mirror_starts_a_service_that_answers():
    with tempfile.TemporaryDirectory(prefix="parley-run-") as data, HeldPort() as held:
        env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{data}/db.sqlite3",
            "PARLEY_DATA_DIR": data,
        }
        manage = [sys.executable, str(ROOT / "manage.py")]
        subprocess.run([*manage, "migrate", "--noinput", "-v", "0"], env=env, check=True)
        process = start_serving(
            held,
            lambda fd: [*manage, "serve", "--fd", str(fd), "--verbosity-daphne", "0", "--mirror"],
            env=env,
        )
        try:
            url = f"http://127.0.0.1:{held.port}"
            key = None
            for _ in range(WAIT_S * 10):
                key = mirror_key(url)
                if key:
                    break
                time.sleep(0.1)
            assert key is not None, "the server never learnt the mirror's key"
            reply = asyncio.run(ask_hold(url, key))
            assert reply["ok"] is True
        finally:
            stop(process)
        # The service stopped with the server: nothing of it runs on.
        running = subprocess.run(["pgrep", "-f", f"mirror --server {url}"], capture_output=True)
        assert running.stdout == b"", running.stdout
