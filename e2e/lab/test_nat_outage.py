"""A home router restarts in the middle of a conversation (issue 16, point 6): the room
heals without anyone doing anything.

Ada is behind a symmetric NAT, so her link to Bo goes through the relay, and a restart
of her router (its WAN link down, its NAT mappings forgotten, topology.py) gives every
connection of hers a new public port: the TURN allocation and the server's socket no
longer know her. Her link comes back by an ICE restart, what she wrote meanwhile
arrives, and her page notices its server connection died and makes a new one, without
taking its own dead connection, which the server still lists for a while, for a peer.
"""

import json
import time

from playwright.sync_api import expect

from e2e.lab.journey_steps import expect_route, in_one_room
from e2e.user import TIMEOUT_MS

# The page pings the server every 25 s: the first ping after the restart meets a reset.
SERVER_RECONNECT_S = 45

ICE_LOST = """() => window.__labPeerConnections.some(
  (r) => ['disconnected', 'failed'].includes(r.pc.iceConnectionState))"""


def server_connections(user) -> list[str]:
    """The connection ids the server gave the page, in order (its `welcome` frames)."""
    frames = [json.loads(text) for direction, text in user.frames if direction == "received"]
    return [frame["id"] for frame in frames if frame.get("type") == "welcome"]


def test_a_router_restart_heals_the_room_without_anyone_acting(nat_lab, lab_user):
    ada = lab_user("symmetric_a", "Ada")
    bo = lab_user("cone_b", "Bo")
    in_one_room("Outage", ada, bo)
    ada.send("before the restart")
    bo.expect_message("before the restart", author="Ada")
    [first_connection] = server_connections(ada)

    with nat_lab.homes["symmetric_a"].wan_outage(restart=True):
        ada.page.wait_for_function(ICE_LOST, timeout=TIMEOUT_MS)  # the link felt it
        ada.send("written while the router was down")

    bo.expect_message("written while the router was down", author="Ada")
    bo.send("and the room is back")
    ada.expect_message("and the room is back", author="Bo")

    deadline = time.monotonic() + SERVER_RECONNECT_S
    while len(server_connections(ada)) < 2 and time.monotonic() < deadline:
        ada.page.wait_for_timeout(250)
    assert len(server_connections(ada)) >= 2, f"no new server connection\n{ada.everyone()}"
    expect(ada.page.get_by_test_id("server-state")).to_have_attribute("data-state", "online")
    assert first_connection not in server_connections(ada)[1:]

    # Both ends go on talking, and nobody sees a stranger: Ada's page did not dial her
    # own dead connection, which the server still listed in the new connection's `peers`.
    ada.send("after the server came back")
    bo.expect_message("after the server came back", author="Ada")
    bo.send("heard you")
    ada.expect_message("heard you", author="Bo")
    for user in (ada, bo):
        expect(user.page.get_by_test_id("peer")).to_have_count(1)
        user.wait_for_peers(1)
        expect_route(user, "relayed")
        expect(user.page.get_by_test_id("peer-warning")).to_have_count(0)
    assert not any("never ready" in line for line in ada.closed_links), ada.closed_links
