"""ICE configuration in the browser (docs/protocol.md §3 `ice-servers`, §6): every link
takes the servers the rendezvous server hands out, a server that predates the frame
leaves links as they were, peers show whether their link is direct, and "Hide my IP
address" makes every link relay-only (with a clear warning when the server offers no
relay). The NAT cases (relayed links through coturn) are in e2e/lab/."""

import base64
import hashlib
import hmac
import json
import re
import time

import pytest
from playwright.sync_api import expect

from e2e.server import running_server
from e2e.user import TIMEOUT_MS, User

# Every RTCPeerConnection's configuration, watched from before the app loads.
WATCH_CONFIGS = """(() => {
  window.__configs = [];
  const Original = window.RTCPeerConnection;
  window.RTCPeerConnection = class extends Original {
    constructor(config, ...rest) {
      super(config, ...rest);
      window.__configs.push(JSON.parse(JSON.stringify(config ?? {})));
    }
  };
})();"""

# STUN and TURN that nobody listens at: links still connect directly on this machine.
STUN_URL, TURN_URL = "stun:127.0.0.1:9", "turn:127.0.0.1:9?transport=udp"
TURN_SECRET = "e2e-turn-secret-" + "x" * 32
ICE_SETTINGS = {
    "PARLEY_STUN_URLS": STUN_URL,
    "PARLEY_TURN_URLS": TURN_URL,
    "PARLEY_TURN_SECRET": TURN_SECRET,
}


@pytest.fixture(scope="module")
def ice_server_url():
    """A server that offers STUN and TURN (the settings above)."""
    with running_server(ICE_SETTINGS) as url:
        yield url


@pytest.fixture
def user_with_ice(browser, ice_server_url):
    contexts = []

    def make():
        context = browser.new_context(base_url=ice_server_url)
        contexts.append(context)
        return User(context.new_page(), ice_server_url)

    yield make
    for context in contexts:
        context.close()


def is_offered_configuration(servers: list[dict]) -> bool:
    """The servers as the server above hands them out, with a TURN credential that coturn
    would accept: base64(HMAC-SHA1(secret, username)), the username `<expiry>:<id>`."""
    stun, turn = servers
    expected = hmac.new(TURN_SECRET.encode(), turn["username"].encode(), hashlib.sha1).digest()
    return (
        stun == {"urls": [STUN_URL]}
        and turn["urls"] == [TURN_URL]
        and re.fullmatch(r"[0-9]{10}:[A-Za-z0-9_-]{22}", turn["username"]) is not None
        and turn["credential"] == base64.b64encode(expected).decode()
    )


# What a server that predates the frame answers (no `ref`: it could not read the type).
UNKNOWN_TYPE = {
    "type": "error",
    "code": "unknown_type",
    "message": "type is not a client frame type",
}


def answer_ice_servers(user, reply):
    """The rendezvous server as the page sees it, but `ice-servers` answered here with
    `reply` (as an older server would). The types of the frames the page sends are kept in
    user.sent_types, in order."""
    user.sent_types = []

    def route(ws):
        server = ws.connect_to_server()

        def from_page(message):
            kind = json.loads(message).get("type") if isinstance(message, str) else None
            user.sent_types.append(kind)
            if kind == "ice-servers":
                ws.send(json.dumps(reply))
            else:
                server.send(message)

        ws.on_message(from_page)
        server.on_message(ws.send)

    user.page.context.route_web_socket("**/ws/signal", route)


def configs(user) -> list[dict]:
    return user.page.evaluate("window.__configs")


def two_in_a_room(new_user, reply=None):
    """Ada and Bob in a room; `reply` answers `ice-servers` in the page instead of the
    server (as an older server would)."""
    users = []
    for name in ("Ada", "Bob"):
        user = new_user()
        user.page.add_init_script(WATCH_CONFIGS)
        if reply is not None:
            answer_ice_servers(user, reply=reply)
        user.onboard(name)
        users.append(user)
    ada, bob = users
    bob.open_invite(ada.create_room("Ice"))
    ada.wait_for_peers(1)
    bob.wait_for_peers(1)
    return ada, bob


def test_every_link_takes_the_servers_ice_servers_and_shows_its_route(user_with_ice):
    ada, bob = two_in_a_room(user_with_ice)
    for user in (ada, bob):
        made = configs(user)
        assert made, "the link's RTCPeerConnection was watched"
        assert all(is_offered_configuration(config["iceServers"]) for config in made), made
        assert all(config["iceTransportPolicy"] == "all" for config in made), made
        route = user.page.get_by_test_id("peer-route")
        expect(route).to_have_attribute("data-route", "direct", timeout=TIMEOUT_MS)
        expect(route).to_have_text("Direct")
        expect(user.page.get_by_test_id("hide-ip-warning")).to_be_hidden()
    ada.send("through the configured link")
    bob.expect_message("through the configured link", author="Ada")


def test_a_server_without_ice_servers_leaves_links_as_they_were(new_user):
    ada, bob = two_in_a_room(new_user, reply=UNKNOWN_TYPE)
    for user in (ada, bob):
        types = user.sent_types
        assert types.count("ice-servers") == 1, types
        assert types.index("join") < types.index("ice-servers"), "asked only once in a topic"
        # Asked before any link was made (the wait itself: tests/js/room-swarm-ice.test.js).
        assert "signal" not in types[: types.index("ice-servers")]
        assert all(config["iceServers"] == [] for config in configs(user))
        expect(user.page.get_by_test_id("peer-route")).to_have_attribute("data-route", "direct")


def test_hide_my_ip_address_redials_relay_only_and_says_the_server_has_no_relay(new_user):
    ada, bob = two_in_a_room(new_user)
    page = ada.page
    expect(page.get_by_test_id("hide-ip-toggle")).not_to_be_checked()
    expect(page.get_by_test_id("hide-ip-indicator")).to_be_hidden()
    before = len(configs(ada))

    page.get_by_role("switch", name="Hide my IP address").click()
    expect(page.get_by_test_id("hide-ip-toggle")).to_be_checked()
    expect(page.get_by_test_id("hide-ip-state")).to_have_text(
        "A relay carries your traffic, so people you talk to never learn your IP address."
        " Calls and files may be slower."
    )
    expect(page.get_by_test_id("hide-ip-indicator")).to_be_visible()
    expect(page.get_by_test_id("peer-summary")).to_contain_text("IP\u00a0hidden")
    expect(page.get_by_test_id("hide-ip-warning")).to_have_text(
        "This server offers no relay, so with Hide my IP address on you cannot connect to anyone."
    )
    # The live link is closed and dialled again, relay-only: with no relay, it cannot
    # connect, and the reason says why.
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while len(configs(ada)) == before and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    assert [c["iceTransportPolicy"] for c in configs(ada)[before:]] == ["relay"]
    assert any("(redialled" in line for line in ada.closed_links), ada.closed_links
    expect(page.locator('[data-testid="peer"][data-state="ready"]')).to_have_count(0)
    warning = page.get_by_test_id("peer-warning")
    expect(warning).to_contain_text(
        "Hide my IP address is on, but this server offers no relay", timeout=30_000
    )

    page.reload()
    expect(page.get_by_test_id("hide-ip-toggle")).to_be_checked()
    expect(page.get_by_test_id("hide-ip-indicator")).to_be_visible()
