"""Parley across home routers (issue 16): what people in two homes see, and what their
links did underneath.

Behind two cone-like NATs, STUN is enough: chat, files and calls go straight between the
two routers' public addresses, never through the relay. Behind a symmetric NAT only the
relay (TURN) gets through, and Parley takes it; a server that offers no relay leaves
such people apart, and the page says why in words a person can act on.

Each journey checks both what the user sees (messages, the "Direct"/"Relayed" route of
the peer, the reason) and what the connection did (the selected candidate pair from
getStats, through e2e/lab/rtc_watch.py).
"""

from playwright.sync_api import expect

from e2e.calls import WATCH_MEDIA, expect_flowing, ring_and_accept, tile_of
from e2e.lab.journey_steps import expect_route, in_one_room
from e2e.lab.rtc_watch import connected_links, pair_types, peer_connections
from e2e.lab.topology import SERVER_ADDRESS
from e2e.test_files import expect_done, random_file, save, send_files, sha256
from e2e.user import TIMEOUT_MS

DIRECT = {"host", "srflx", "prflx"}
NO_RELAY = "Your networks block direct connections and this server offers no relay."


def expect_straight_between(user, nat_lab, other_home: str):
    """The page's one link selected a pair without a relay, with the other router's
    public address at the far end: the NAT was in the path and got punched through."""
    [link] = connected_links(user.page)
    assert set(pair_types(link)) <= DIRECT, link["pair"]
    assert link["pair"]["remote"]["address"] == nat_lab.homes[other_home].wan_address, link


def test_chat_and_a_file_across_cone_nats_go_straight_between_the_homes(
    nat_lab, lab_user, tmp_path
):
    ada = lab_user("cone_a", "Ada")
    bo = lab_user("cone_b", "Bo")
    in_one_room("Across", ada, bo)

    ada.send("hello from the first home")
    bo.expect_message("hello from the first home", author="Ada")
    bo.send("and back from the second")
    ada.expect_message("and back from the second", author="Bo")

    path = random_file(tmp_path / "across.bin", 300_000)
    send_files(ada, path)
    expect_done(bo, "across.bin", timeout=60_000)
    assert save(bo, "across.bin", tmp_path) == sha256(path)

    for user in (ada, bo):
        expect_route(user, "direct")
    expect_straight_between(ada, nat_lab, "cone_b")
    expect_straight_between(bo, nat_lab, "cone_a")


def test_a_call_across_cone_nats_goes_straight_between_the_homes(nat_lab, lab_user):
    users = []
    for home, name in (("cone_a", "Ada"), ("cone_b", "Bo")):
        user = lab_user(home, media=True)  # the calls' browser: fake camera and microphone
        user.page.add_init_script(WATCH_MEDIA)
        user.onboard(name)
        users.append(user)
    ada, bo = users
    in_one_room("Call across", ada, bo)

    ring_and_accept(ada, [bo])
    for user, other in ((ada, "Bo"), (bo, "Ada")):
        expect_flowing(user)
        expect(tile_of(user, other)).to_have_attribute("data-video", "true")
        expect_route(user, "direct")
    # The call rides on the room's link (§6), so that link carried the media.
    expect_straight_between(ada, nat_lab, "cone_b")
    expect_straight_between(bo, nat_lab, "cone_a")


def test_symmetric_nats_connect_through_the_relay(lab_user):
    # One room, three homes: a cone with a symmetric NAT (twice) and two symmetric NATs.
    ada = lab_user("cone_a", "Ada")
    bo = lab_user("symmetric_a", "Bo")
    cy = lab_user("symmetric_b", "Cy")
    in_one_room("Relayed", ada, bo, cy)

    bo.send("through the relay")
    for user in (ada, cy):
        user.expect_message("through the relay", author="Bo")
    cy.send("and back")
    for user in (ada, bo):
        user.expect_message("and back", author="Cy")

    for user in (ada, bo, cy):
        expect_route(user, "relayed", count=2)
        links = connected_links(user.page)
        assert len(links) == 2, links
        for link in links:
            assert "relay" in pair_types(link), link["pair"]
            # Whichever end relays, the relayed end's address is the relay's.
            ends = link["pair"].values()
            assert any(e["type"] == "relay" and e["address"] == SERVER_ADDRESS for e in ends)


def test_without_a_relay_symmetric_nats_are_told_why_they_cannot_connect(lab_user):
    ada = lab_user("symmetric_a", "Ada", offers="stun_only")
    bo = lab_user("symmetric_b", "Bo", offers="stun_only")
    bo.open_invite(ada.create_room("Apart"))

    for user in (ada, bo):
        warning = user.page.get_by_test_id("peer-warning")
        expect(warning).to_contain_text(NO_RELAY, timeout=40_000)
        expect(warning.locator('li[data-code="no_relay"]')).to_have_count(1)
        expect(user.page.locator('[data-testid="peer"][data-state="ready"]')).to_have_count(0)
        tried = [c for c in peer_connections(user.page) if c["remoteSdps"]]
        assert tried, "the two pages did dial each other"
        for link in tried:
            assert link["state"] != "connected", link
            # The server offered STUN and nothing else: no TURN server was ever configured.
            servers = [server for config in link["configs"] for server in config["iceServers"]]
            urls = [url for server in servers for url in server["urls"]]
            assert urls and all(url.startswith("stun:") for url in urls), link["configs"]


def test_a_python_peer_behind_a_symmetric_nat_talks_through_the_relay(lab_user, lab_python_peer):
    ada = lab_user("cone_a", "Ada")
    link = ada.create_room("Snakes across")
    ada.send("hello whoever comes")

    with lab_python_peer("symmetric_a", link, "Monty") as monty:
        [browser] = monty.wait_ready(1, timeout=25)
        ada.wait_for_peers(1)
        # Monty reads the room's history over the relayed link (§8) and answers.
        log = monty.fetch_log(timeout=TIMEOUT_MS / 1000)
        texts = [item.entry.body["text"] for item in log if item.entry.body["type"] == "message"]
        assert texts == ["hello whoever comes"], texts
        join = monty.make_entry({"type": "join", "ts": 0, "clock": 1, "name": "Monty"}, seq=0)
        hiss = monty.make_entry(
            monty.message_body("hiss from behind the router", clock=2), seq=1, prev=join.id
        )
        assert monty.send_entries([join, hiss]) == 1
        ada.expect_message("hiss from behind the router", author="Monty")

        expect_route(ada, "relayed")
        [browser_link] = connected_links(ada.page)
        assert "relay" in pair_types(browser_link), browser_link["pair"]
        local, remote = nominated_pair(browser)
        assert "relay" in (local.type, remote.type), (local, remote)


def nominated_pair(peer):
    """The (local, remote) candidates aiortc's ICE nominated on the link to `peer`."""
    ice = peer.link.pc.sctp.transport.transport  # SCTP over DTLS over ICE (aiortc)
    pair = ice._connection._nominated[1]  # aioice keeps them per component; data is 1
    return pair.local_candidate, pair.remote_candidate
