"""The `ice-servers` frame (docs/protocol.md §3, §5): who may ask, what comes back, limits.

The TURN credential in an answer is checked the way coturn checks it (the HMAC of the
username under the shared secret); tests/turn/ shows a real coturn accepting one.
"""

import base64
import hashlib
import hmac
import time

import pytest
from django.test import override_settings

from .wire import new_topic, unb64

pytestmark = pytest.mark.also_on_redis

SECRET = "a-turn-secret-of-the-tests-0123456789abcdef"
STUN = ["stun:turn.example.org:3478"]
TURN = [
    "turn:turn.example.org:3478?transport=udp",
    "turn:turn.example.org:3478?transport=tcp",
    "turns:turn.example.org:443?transport=tcp",
]


@pytest.fixture
def ice_settings():
    with override_settings(
        PARLEY_STUN_URLS=STUN,
        PARLEY_TURN_URLS=TURN,
        PARLEY_TURN_SECRET=SECRET,
        PARLEY_TURN_TTL_SECONDS=3600,
    ):
        yield


async def joined_client(client):
    c = await client()
    await c.join(new_topic())
    return c


async def ask(c) -> dict:
    await c.send({"type": "ice-servers"})
    return await c.receive()


@pytest.mark.usefixtures("ice_settings")
async def test_a_joined_connection_gets_stun_and_a_fresh_turn_credential(client):
    c = await joined_client(client)
    before = int(time.time())
    answer = await ask(c)
    after = int(time.time())
    assert answer["type"] == "ice-servers"
    assert set(answer) == {"type", "servers", "expires"}
    stun, turn = answer["servers"]
    assert stun == {"urls": STUN}
    assert set(turn) == {"urls", "username", "credential"}
    assert turn["urls"] == TURN
    expiry, opaque = turn["username"].split(":")
    assert before + 3600 <= int(expiry) == answer["expires"] <= after + 3600
    # The opaque id is 16 random bytes: neither the connection id nor the key.
    assert len(unb64(opaque)) == 16
    assert opaque not in (c.id, c.key)
    mac = hmac.new(SECRET.encode(), turn["username"].encode(), hashlib.sha1).digest()
    assert base64.b64decode(turn["credential"]) == mac
    # Every answer is a new credential.
    again = await ask(c)
    assert again["servers"][1]["username"] != turn["username"]


async def test_without_turn_settings_the_answer_has_stun_only_and_no_expiry(client):
    c = await joined_client(client)
    with override_settings(PARLEY_STUN_URLS=STUN, PARLEY_TURN_URLS=[], PARLEY_TURN_SECRET=""):
        assert await ask(c) == {"type": "ice-servers", "servers": [{"urls": STUN}], "expires": None}
    with override_settings(PARLEY_STUN_URLS=[], PARLEY_TURN_URLS=[], PARLEY_TURN_SECRET=""):
        assert await ask(c) == {"type": "ice-servers", "servers": [], "expires": None}


@pytest.mark.usefixtures("ice_settings")
async def test_only_a_connection_in_a_topic_may_ask(client):
    c = await client(hello=False)
    await c.send({"type": "ice-servers"})
    await c.expect_error("hello_required", "ice-servers")
    await c.hello()
    await c.send({"type": "ice-servers"})
    await c.expect_error("not_joined", "ice-servers")
    topic = new_topic()
    await c.join(topic)
    assert (await ask(c))["type"] == "ice-servers"
    await c.leave(topic)
    await c.send({"type": "ice-servers"})
    await c.expect_error("not_joined", "ice-servers")


@pytest.mark.usefixtures("ice_settings")
async def test_the_frame_has_no_fields(client):
    c = await joined_client(client)
    await c.send({"type": "ice-servers", "ttl": 86400})
    await c.expect_error("bad_frame", "ice-servers")


@pytest.mark.usefixtures("ice_settings")
async def test_a_connection_gets_its_burst_then_ice_rate_limited_which_is_not_counted(
    client, limits
):
    limits(ICE_BURST=2, ICE_RATE_PER_SECOND=0.0001, MAX_ERRORS=1)
    c = await joined_client(client)
    for _ in range(2):
        assert (await ask(c))["type"] == "ice-servers"
    for _ in range(3):  # more refusals than MAX_ERRORS, and the connection stays open
        await c.send({"type": "ice-servers"})
        await c.expect_error("ice_rate_limited", "ice-servers")
    await c.send({"type": "ping"})
    await c.expect("pong")


@pytest.mark.usefixtures("ice_settings")
async def test_the_connections_of_one_address_share_its_budget(client, limits):
    limits(ICE_ADDRESS_BURST=3, ICE_ADDRESS_RATE_PER_SECOND=0.0001)
    a, b = await joined_client(client), await joined_client(client)
    for c in (a, b, a):
        assert (await ask(c))["type"] == "ice-servers"
    await b.send({"type": "ice-servers"})
    error = await b.expect_error("ice_rate_limited", "ice-servers")
    assert "address" in error["message"]


@pytest.mark.usefixtures("ice_settings")
async def test_a_connection_over_its_own_budget_spends_none_of_its_addresses(client, limits):
    limits(ICE_BURST=1, ICE_RATE_PER_SECOND=0.0001, ICE_ADDRESS_BURST=2)
    a, b = await joined_client(client), await joined_client(client)
    assert (await ask(a))["type"] == "ice-servers"
    for _ in range(5):
        await a.send({"type": "ice-servers"})
        error = await a.expect_error("ice_rate_limited", "ice-servers")
        assert "connection" in error["message"]
    # The address's second token is still there for b.
    assert (await ask(b))["type"] == "ice-servers"
