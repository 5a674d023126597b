"""The NAT lab: Parley's e2e tests across home routers, in Linux network namespaces.

Needs root (CI runs as root) and Debian's iproute2, nftables and coturn (`make test`
installs what is missing). Modules, from the bottom:

- netns.py       namespaces named `pl<pid>-<lab>-<role>`; a killed run's are removed
- topology.py    `Lab`: the public bridge 203.0.113.0/24, `add_home(Nat.CONE|SYMMETRIC)`,
                 `Home.wan_outage()`; processes started inside; everything torn down
- turn.py        coturn in the public namespace (`start_coturn`), TURN REST credentials
- probe.py       waits, from inside a namespace, for an HTTP or STUN answer
- browser.py     Chromium per namespace through an `ip netns exec` wrapper
- bare_rtc.py    bare RTCPeerConnection pages, Python carrying offer and answer
- parley.py      the Parley server on 203.0.113.1; Python peers inside a home
- rtc_watch.py   what a page's RTCPeerConnections were told and selected
- nat_lab.py     `NatLab`, the session's lab: homes cone_a, cone_b, symmetric_a,
                 symmetric_b, coturn, the bare page, browsers and Parley on first use
- conftest.py    fixtures `nat_lab`, `lab_page`, `lab_user`, `lab_python_peer`
- journey_steps.py  steps the Parley journeys share (`in_one_room`, `expect_route`)
- forget_connections.py  a router's NAT mappings forgotten, as on a restart (a script)

The journeys themselves: test_nat_journeys.py (chat, files, calls, relayed links, the
no_relay reason, a Python peer), test_nat_hide_ip.py ("Hide my IP address"),
test_nat_outage.py (a router restart), test_nat_renewal.py (relayed links across TURN
credentials that expire, on the `short_credentials` server).

A Parley journey across NATs reads like the other e2e tests:

    def test_chat_across_cone_nats(lab_user):
        ada = lab_user("cone_a", "Ada")
        bo = lab_user("cone_b", "Bo")
        bo.open_invite(ada.create_room("Across"))
        ada.wait_for_peers(1)
        ...
        [link] = [c for c in peer_connections(ada.page) if c["state"] == "connected"]
        assert "relay" not in (link["pair"]["local"]["type"], link["pair"]["remote"]["type"])

`lab_user(..., offers="stun_only")` uses the server without TURN, `media=True` the
calls' browser, and `nat_lab.homes["cone_a"].wan_outage()` takes a router off the net
(`restart=True`: and makes it forget its NAT mappings).
"""
