"""A rendezvous relay that edits or swaps sealed blobs can only break the handshake:
no connection, no delivered message, and a clear warning for the person affected."""

import base64
import json
import threading

from playwright.sync_api import expect

from e2e.frames import b64url_decode

QUIET_MS = 4000  # how long we watch for a connection that must not happen


def b64url_encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def relay(page, from_page=None, from_server=None):
    """Put a tampering relay between the page and the real server."""

    def handler(ws):
        server = ws.connect_to_server()
        ws.on_message(lambda message: server.send((from_page or (lambda m: m))(message)))
        server.on_message(lambda message: ws.send((from_server or (lambda m: m))(message)))

    page.route_web_socket("**/ws/signal", handler)


def assert_no_connection(*users, with_name=None):
    """No ready link on these users' pages (only to `with_name`, when given)."""
    users[0].page.wait_for_timeout(QUIET_MS)
    for user in users:
        ready = user.page.locator('[data-testid="peer"][data-state="ready"]')
        if with_name:
            ready = ready.filter(has_text=with_name)
        expect(ready).to_have_count(0)


def test_one_altered_byte_in_a_blob_yields_no_connection_and_a_warning(new_user):
    ada = new_user("Ada")
    link = ada.create_room("Flipped")
    bob = new_user()

    def flip_one_byte(message):
        frame = json.loads(message)
        if frame["type"] == "signal":
            raw = bytearray(b64url_decode(frame["blob"]))
            raw[len(raw) // 2] ^= 0x01
            frame["blob"] = b64url_encode(bytes(raw))
            return json.dumps(frame)
        return message

    relay(bob.page, from_server=flip_one_byte)  # before the page opens its socket
    bob.onboard("Bob")
    bob.open_invite(link)

    warning = bob.page.get_by_test_id("peer-warning")
    expect(warning).to_be_visible(timeout=20_000)
    expect(warning.locator('[data-code="undecryptable"]')).to_be_visible()
    expect(warning).to_contain_text("altered")
    bob.send("should never arrive")
    assert_no_connection(ada, bob)
    expect(bob.message("should never arrive").get_by_test_id("delivery")).to_have_text("Sent")
    expect(ada.message("should never arrive")).to_have_count(0)


def test_swapping_blobs_between_two_joiners_yields_no_connection(new_user):
    ada = new_user("Ada")
    link = ada.create_room("Swapped")
    joiners: list[str] = []
    held: list[dict] = []
    lock = threading.Lock()

    def swap_answers(message):
        """Hold Ada's signals until both joiners are known, then deliver each joiner's
        blobs to the other one."""
        frame = json.loads(message)
        if frame["type"] != "signal":
            return message
        with lock:
            held.append(frame)
            if len(joiners) < 2:
                return json.dumps({"type": "ping"})
            out = []
            for f in held:
                f["to"] = joiners[1] if f["to"] == joiners[0] else joiners[0]
                out.append(f)
            held.clear()
        for f in out[:-1]:
            swap_server.send(json.dumps(f))
        return json.dumps(out[-1])

    def note_joiners(message):
        frame = json.loads(message)
        if frame["type"] == "joined":
            with lock:
                joiners.append(frame["peer"]["id"])
        return message

    swap_server = None

    def handler(ws):
        nonlocal swap_server
        swap_server = ws.connect_to_server()
        ws.on_message(lambda m: swap_server.send(swap_answers(m)))
        swap_server.on_message(lambda m: ws.send(note_joiners(m)))

    ada.page.route_web_socket("**/ws/signal", handler)
    ada.page.reload()
    expect(ada.page.get_by_test_id("server-state")).to_have_attribute("data-state", "online")

    bob = new_user("Bob")
    bob.open_invite(link)
    cyd = new_user("Cyd")
    cyd.open_invite(link)
    # Bob's and Cyd's later offers or candidates make Ada send again, now swapped.
    for user in (bob, cyd):
        warning = user.page.get_by_test_id("peer-warning")
        expect(warning).to_be_visible(timeout=20_000)
        expect(warning.locator('[data-code="undecryptable"]')).to_be_visible()
    # Bob and Cyd reach each other through their own untampered relays; nobody reaches Ada.
    assert_no_connection(ada)
    assert_no_connection(bob, cyd, with_name="Ada")
    bob.send("swapped hello")
    expect(ada.message("swapped hello")).to_have_count(0)
