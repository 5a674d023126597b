"""The NAT lab proves itself with bare RTCPeerConnections (no Parley code).

These guard the lab: if a NAT kind, coturn or the browser wrapper stopped behaving as a
real one does, the Parley journeys over the lab would pass or fail for the wrong reason.
What they establish is what issue 16 measured: STUN alone joins two cone-like NATs
directly, never a symmetric one; TURN joins every kind through the relay; a relay-only
policy shows the other side nothing but the relay's address; coturn takes only live
credentials minted with its secret, and relays into no private network.
"""

import ipaddress
import json
import time

from e2e.lab.bare_rtc import dial, only_candidate, wait_for_state
from e2e.lab.netns import LabError, inside, run
from e2e.lab.topology import SERVER_ADDRESS

DIRECT = {"host", "srflx", "prflx"}


def stun_only(nat_lab) -> dict:
    return {"iceServers": [nat_lab.relay.stun_server()]}


def stun_and_turn(nat_lab, **policy) -> dict:
    return {"iceServers": nat_lab.relay.ice_servers(), **policy}


def test_stun_alone_connects_two_cone_nats_directly(nat_lab, lab_page):
    a, b = dial(lab_page("cone_a"), lab_page("cone_b"), stun_only(nat_lab)).outcomes()

    for side in (a, b):
        assert side.state == "connected", side
        assert set(side.pair_types) <= DIRECT, side
    assert (a.received, b.received) == ("hello from b", "hello from a")
    # Each saw the other from its router's public address: the NAT is really in the path.
    assert a.pair["remote"]["address"] == nat_lab.homes["cone_b"].wan_address, a
    assert b.pair["remote"]["address"] == nat_lab.homes["cone_a"].wan_address, b


def test_stun_alone_cannot_get_through_a_symmetric_nat(nat_lab, lab_page):
    config = stun_only(nat_lab)
    pairs = {
        "symmetric+symmetric": dial(lab_page("symmetric_a"), lab_page("symmetric_b"), config),
        "cone+symmetric": dial(lab_page("cone_a"), lab_page("symmetric_b"), config),
    }

    for kinds, dialled in pairs.items():
        for side in dialled.outcomes():
            assert side.state == "failed", f"{kinds}: {side}"
            assert side.received is None, f"{kinds}: {side}"
            # It failed with its public address known: STUN worked, the NAT is the cause.
            assert "srflx" in side.gathered_types(), f"{kinds}: {side}"


def test_turn_connects_every_kind_and_only_relays_when_it_must(nat_lab, lab_page):
    pairs = {
        ("symmetric_a", "symmetric_b"): True,
        ("cone_b", "symmetric_a"): True,
        ("cone_a", "cone_b"): False,
    }
    dialled = {
        homes: dial(lab_page(homes[0]), lab_page(homes[1]), stun_and_turn(nat_lab))
        for homes in pairs
    }

    for homes, relayed in pairs.items():
        for side in dialled[homes].outcomes():
            assert side.state == "connected", f"{homes}: {side}"
            assert side.received is not None, f"{homes}: {side}"
            assert side.relayed is relayed, f"{homes}: {side}"


def test_relay_only_policy_shows_the_other_side_only_the_relay(nat_lab, lab_page):
    one_side = dial(
        lab_page("cone_a"),
        lab_page("cone_b"),
        stun_and_turn(nat_lab, iceTransportPolicy="relay"),
        stun_and_turn(nat_lab),
    )
    both_sides = dial(
        lab_page("symmetric_a"),
        lab_page("cone_b"),
        stun_and_turn(nat_lab, iceTransportPolicy="relay"),
    )

    hidden, other = one_side.outcomes()
    assert hidden.state == other.state == "connected", (hidden, other)
    assert hidden.gathered_types() == {"relay"}, hidden
    # A relay candidate names the relay, and its related address is not the host's.
    assert all(" raddr 0.0.0.0 " in line for line in hidden.gathered), hidden
    assert other.remote_sdp_candidate_types() == {"relay"}, other.remote_sdp
    assert {c["type"] for c in other.remote_candidates} <= {"relay"}, other
    assert {c["address"] for c in other.remote_candidates} == {SERVER_ADDRESS}, other
    assert hidden.pair_types[0] == other.pair_types[1] == "relay", (hidden, other)

    a, b = both_sides.outcomes()
    for side in (a, b):
        assert side.state == "connected", side
        assert side.pair_types == ("relay", "relay"), side
        assert {c["address"] for c in side.remote_candidates} == {SERVER_ADDRESS}, side


def test_coturn_refuses_expired_and_forged_credentials(nat_lab, lab_page):
    relay = nat_lab.relay
    credentials = {
        "expired": {"expires": int(time.time()) - 60},
        "forged": {"secret": "not the relay's secret"},
        "valid": {},
    }
    pages = {}
    for name, options in credentials.items():
        config = {"iceServers": [relay.turn_server(**options)], "iceTransportPolicy": "relay"}
        pages[name] = page = lab_page("cone_a")
        page.evaluate(_GATHER, config)

    seen = {name: page.evaluate(_GATHERED) for name, page in pages.items()}
    assert len(seen["valid"]["gathered"]) > 0, seen["valid"]
    for refused in ("expired", "forged"):
        assert seen[refused]["gathered"] == [], seen[refused]
        assert {error["code"] for error in seen[refused]["iceErrors"]} == {401}, seen[refused]


_GATHER = """async (config) => {
  const { pc } = makeLabPeer(config, 'alone');
  pc.createDataChannel('lab');
  await pc.setLocalDescription();
}"""
_GATHERED = """async () => {
  await lab.gatheringDone();
  return { gathered: lab.gathered, iceErrors: lab.iceErrors };
}"""


def test_coturn_refuses_to_relay_into_a_private_network(nat_lab, lab_page):
    turn = nat_lab.relay.turn_server()
    private_peer = nat_lab.homes["cone_b"].user_address  # a home's LAN, a denied peer
    dialled = dial(
        lab_page("cone_a"),
        lab_page("cone_b"),
        {"iceServers": [turn], "iceTransportPolicy": "relay"},
        {"iceServers": []},
        rewrite_answer=only_candidate(private_peer, 40000),
    )

    assert wait_for_state(dialled.page_a, "failed") == "failed"
    refusals = [
        line
        for line in nat_lab.lab.log("coturn").splitlines()
        if f"user <{turn['username']}>" in line and "CREATE_PERMISSION" in line
    ]
    assert refusals, "coturn logged no permission request of this credential"
    assert all("error 403: Forbidden IP" in line for line in refusals), refusals


def test_a_wan_outage_interrupts_a_direct_link_until_the_router_is_back(nat_lab, lab_page):
    page_a, page_b = lab_page("cone_a"), lab_page("cone_b")
    a, b = dial(page_a, page_b, stun_only(nat_lab)).outcomes()
    assert a.state == b.state == "connected", (a, b)

    with nat_lab.homes["cone_a"].wan_outage():
        # Consent checks stop being answered: the far side notices within seconds.
        assert wait_for_state(page_b, "disconnected", "failed") == "disconnected"
    # The router's mappings outlived the short outage: the same pair works again.
    assert wait_for_state(page_b, "connected") == "connected"
    assert wait_for_state(page_a, "connected") == "connected"


def test_no_lab_namespace_routes_to_the_host_and_only_routers_forward(nat_lab):
    host_addresses = [
        entry["local"]
        for link in json.loads(run("ip", "-4", "-j", "addr"))
        for entry in link["addr_info"]
        if not ipaddress.ip_address(entry["local"]).is_loopback
    ]
    assert host_addresses, "the host has no IPv4 address to check"
    home = nat_lab.homes["cone_a"]
    # The user's machine sends everything to its router; the router and the public
    # network know only the lab's ranges.
    for namespace in (home.router, nat_lab.lab.public):
        assert _route(namespace, SERVER_ADDRESS) is not None
        for address in host_addresses:
            assert _route(namespace, address) is None, f"{namespace} routes to {address}"
    for namespace in (home.router, home.user, nat_lab.lab.public):
        forwarding = run(*inside(namespace, "sysctl", "-n", "net.ipv4.ip_forward")).strip()
        assert forwarding == ("1" if namespace == home.router else "0"), namespace


def _route(namespace: str, address: str) -> str | None:
    try:
        return run("ip", "-n", namespace, "route", "get", address)
    except LabError as error:
        assert "unreachable" in str(error), error
        return None
