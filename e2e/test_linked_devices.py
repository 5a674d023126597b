"""Linked devices (issue 21, docs/protocol.md §13): a new device shows a pairing code as
a QR code; Ada's device scans it with its camera (Chromium's fake camera plays a video
the test makes from the very pixels the new device drew); the new device gets Ada's rooms
and their history, speaks with a key of its own, and Bob sees what it writes as Ada's.
Ada unlinks it while it is away; what it wrote meanwhile, relayed to Bob and to the
room's blind mirror, is refused by both, and the device itself, back online, learns it
was unlinked and stops. A wrong code and an expired one each fail with a clear message,
and nothing is linked.
"""

import time

import pytest
from playwright.sync_api import expect

from e2e.fake_camera import launch_with_camera, luma_of_canvas, y4m_from_luma
from e2e.mirror_service import mirrored_server
from e2e.test_mirror import ENTRIES_JS, expect_mirror_holds_everything, keep_on_mirror
from e2e.test_moderation import LINK_TIMEOUT_S, barrier
from e2e.user import TIMEOUT_MS, User
from parley_peer.encoding import b64url_decode
from parley_peer.room_peer_thread import RoomPeerThread

ADA, BOB = "Adaline Quartermaine", "Bartholomew Okonkwo"
DEVICE = "Ada's laptop"
WAITING = "Waiting for your other device…"


@pytest.fixture
def camera_browser(browser_type, browser_type_launch_args, tmp_path):
    """A second browser whose camera films tmp_path/camera.y4m: Chromium opens the file
    when the camera starts, so the test writes it once it knows the picture."""
    path = tmp_path / "camera.y4m"
    browser = launch_with_camera(browser_type, browser_type_launch_args, path)
    yield browser, path
    browser.close()


def new_user(browser, url: str) -> User:
    return User(browser.new_context(base_url=url).new_page(), url)


def show_code(device: User) -> str:
    device.open()
    device.page.get_by_test_id("link-new-device").click()
    device.page.get_by_test_id("device-name-input").fill(DEVICE)
    device.page.get_by_test_id("device-name-submit").click()
    expect(device.page.get_by_test_id("pairing-status")).to_have_text(WAITING)
    return device.page.get_by_test_id("pairing-code").inner_text()


def open_link_dialog(user: User):
    settings = user.page.get_by_test_id("device-settings")
    if settings.get_attribute("open") is None:
        settings.locator("summary").click()
    user.page.get_by_test_id("link-device").click()
    dialog = user.page.get_by_test_id("link-device-dialog")
    expect(dialog).to_be_visible()
    return dialog


def test_a_device_linked_by_its_code_is_ada_to_everyone_until_she_unlinks_it(
    browser, camera_browser
):
    with mirrored_server() as (url, mirror):
        linked_then_unlinked(browser, camera_browser, url, mirror)


def linked_then_unlinked(browser, camera_browser, url, mirror):
    cam, camera_file = camera_browser
    ada = new_user(cam, url)
    ada.onboard(ADA)
    link = ada.create_room("Family")
    keep_on_mirror(ada)
    bob = new_user(browser, url)
    bob.onboard(BOB)
    bob.open_invite(link)
    ada.wait_for_peers(1)
    ada.send("written before the laptop")
    bob.send("and Bob answered")
    ada.expect_message("and Bob answered", author=BOB)

    laptop = new_user(browser, url)
    show_code(laptop)
    luma, width, height = luma_of_canvas(laptop.page, '[data-testid="pairing-qr"] canvas')
    y4m_from_luma(luma, width, height, camera_file)

    dialog = open_link_dialog(ada)
    dialog.get_by_test_id("link-scan").click()
    expect(dialog.get_by_test_id("link-status")).to_have_text(
        f"Linked “{DEVICE}”. Its rooms and history are on their way.", timeout=TIMEOUT_MS
    )
    dialog.get_by_role("button", name="Close").click()
    expect(ada.page.get_by_test_id("device").filter(has_text=DEVICE)).to_have_count(1)

    # The laptop starts again as Ada, with her room and everything said in it.
    expect(laptop.page.get_by_test_id("my-name")).to_have_text(ADA, timeout=TIMEOUT_MS)
    assert laptop.page.get_by_test_id("my-fingerprint").get_attribute(
        "aria-label"
    ) == ada.page.get_by_test_id("my-fingerprint").get_attribute("aria-label")
    assert laptop.identity_id == ada.identity_id
    laptop.page.get_by_test_id("room-list").get_by_text("Family").click()
    laptop.expect_message("written before the laptop", author="You")
    laptop.expect_message("and Bob answered", author=BOB)
    expect(laptop.page.get_by_test_id("linked-device-note")).to_contain_text(DEVICE)

    laptop.send("written on the laptop")
    bob.expect_message("written on the laptop", author=ADA)
    ada.expect_message("written on the laptop", author="You")
    expect(bob.page.get_by_test_id("device-event")).to_contain_text(
        f"{ADA} linked a new device: {DEVICE}", timeout=TIMEOUT_MS
    )
    # One person: Bob's room counts Ada once, whichever of her devices he is linked to.
    bob.page.get_by_test_id("room-menu").locator("summary").click()
    bob.page.get_by_test_id("room-members").click()
    members = bob.page.get_by_test_id("members-dialog")
    expect(members.get_by_test_id("member").filter(has_text=ADA)).to_have_count(1)
    bob.page.keyboard.press("Escape")
    expect_mirror_holds_everything(ada)

    # The laptop is away; Ada unlinks it.
    laptop_context = laptop.page.context
    laptop.page.close()
    settings = ada.page.get_by_test_id("device-settings")
    ada.page.get_by_test_id("device").filter(has_text=DEVICE).get_by_test_id(
        "unlink-device"
    ).click()
    ada.page.get_by_test_id("unlink-dialog-confirm").click()
    expect(ada.page.get_by_test_id("device").filter(has_text=DEVICE)).to_have_attribute(
        "data-revoked", "true", timeout=TIMEOUT_MS
    )
    assert settings.is_visible()
    expect(bob.page.get_by_test_id("revoke-event")).to_contain_text(
        f"{ADA} unlinked a device: {DEVICE}", timeout=TIMEOUT_MS
    )
    expect_mirror_holds_everything(ada)  # the revocation is stored there too

    # Offline (its socket goes nowhere), the laptop has not heard, and writes on.
    away = User(laptop_context.new_page(), url)
    away.page.route_web_socket("**/ws/signal", lambda socket: None)
    away.open()
    away.page.get_by_test_id("room-list").get_by_text("Family").click()
    away.send("written after the unlinking")
    away.expect_message("written after the unlinking", author="You")
    known = {ada.identity_id, bob.identity_id}
    rows = [row for row in away.page.evaluate(ENTRIES_JS) if row[1] not in known]
    device_id = rows[0][1]
    seq, late = max((s, bytes(data)) for _, author, s, data in rows if author == device_id)
    away.page.close()

    # Whoever relays it, Bob and the mirror refuse it: it comes after the revocation.
    relay = RoomPeerThread(url, link, "Relay")
    User.python_peers.append(relay)
    try:
        relay.start()
        relay.wait_ready(3, timeout=LINK_TIMEOUT_S)  # Ada, Bob and the mirror
        relay.send_entries([late], None)
        barrier(relay, bob)
        expect(bob.message("written after the unlinking")).to_have_count(0)
        bob.expect_message("written on the laptop", author=ADA)  # what it wrote before stays
        deadline = time.monotonic() + TIMEOUT_MS / 1000
        while "refused 1 entries of a removed member or revoked device" not in mirror.log():
            assert time.monotonic() < deadline, mirror.log()[-2000:]
            time.sleep(0.1)
        held = {(author, s) for _, author, s, _ in mirror.entries()}
        assert (b64url_decode(device_id), seq - 1) in held
        assert (b64url_decode(device_id), seq) not in held
    finally:
        User.python_peers.remove(relay)
        relay.close()

    # Back online, the laptop learns it was unlinked, and stops.
    back = User(laptop_context.new_page(), url)
    back.open()
    expect(back.page.get_by_test_id("unlinked")).to_be_visible(timeout=TIMEOUT_MS)
    expect(back.page.get_by_test_id("erase-device")).to_be_visible()
    expect(bob.message("written after the unlinking")).to_have_count(0)


def test_a_wrong_code_and_an_expired_one_fail_clearly_and_link_nothing(browser, server_url):
    ada = new_user(browser, server_url)
    ada.onboard(ADA)
    laptop = User(browser.new_context(base_url=server_url).new_page(), server_url)
    laptop.page.clock.install()
    code = show_code(laptop)

    # Wrong: the same first characters (the device is found), a different rest.
    bare = code.replace("-", "")
    wrong = bare[:4] + "".join("B" if c == "A" else "A" for c in bare[4:])
    dialog = open_link_dialog(ada)
    dialog.get_by_test_id("link-code-input").fill(wrong)
    dialog.get_by_test_id("link-submit").click()
    expect(dialog.get_by_test_id("link-error")).to_have_text(
        "That code is wrong. Check it against the one the new device shows.", timeout=TIMEOUT_MS
    )
    expect(laptop.page.get_by_test_id("pairing-status")).to_have_text(WAITING)

    # Expired: five minutes pass on the new device; the code it showed finds nobody.
    laptop.page.clock.fast_forward("05:01")
    expect(laptop.page.get_by_test_id("pairing-status")).to_have_text("This code has expired.")
    expect(laptop.page.get_by_test_id("pairing-new-code")).to_be_visible()
    dialog.get_by_test_id("link-code-input").fill(code)
    dialog.get_by_test_id("link-submit").click()
    expect(dialog.get_by_test_id("link-error")).to_have_text(
        "No device is waiting for this code. A code lasts 5 minutes: check it, "
        "or make a new one on the new device.",
        timeout=TIMEOUT_MS,
    )
    dialog.get_by_role("button", name="Close").click()
    expect(ada.page.get_by_test_id("device")).to_have_count(0)
    expect(laptop.page.get_by_test_id("onboarding")).to_be_visible()
