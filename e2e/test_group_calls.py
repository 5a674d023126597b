"""Group calls: a mesh of three, leaving and joining a running call, and a fourth person
who hears of the call from its members and joins it late."""

import re

from playwright.sync_api import expect

from e2e.calls import (
    WATCH_MEDIA,
    call_events,
    call_view,
    expect_streams,
    local_tracks,
    ring_and_accept,
    signal_count,
    three_in_a_room,
    tile_of,
)
from e2e.user import TIMEOUT_MS


def test_group_call_of_three_and_joining_a_running_call(new_user):
    ada, bob, cy, link = three_in_a_room(new_user, "Group")
    signals = [signal_count(user) for user in (ada, bob, cy)]

    ring_and_accept(ada, [bob, cy])
    # A mesh: everyone receives the two others' audio and video, each on its own link.
    for user in (ada, bob, cy):
        expect_streams(user, audio=2, video=2)
        expect(user.page.get_by_test_id("call-tile")).to_have_count(3)
        expect(user.page.get_by_test_id("call-stage")).to_have_attribute("data-layout", "grid")
        expect(
            user.page.locator('[data-testid="call-tile"][data-self="false"][data-video="true"]')
        ).to_have_count(2)
    expect(bob.page.get_by_test_id("call-status")).to_have_text(
        re.compile(r"In a call with 2 people · \d+:\d\d")
    )

    # Cy leaves; the call goes on for two, and Cy's room offers to join it again.
    cy.page.get_by_test_id("call-hangup").click()
    expect(call_view(cy)).to_be_hidden(timeout=TIMEOUT_MS)
    for user in (ada, bob):
        expect(user.page.get_by_test_id("call-tile")).to_have_count(2, timeout=TIMEOUT_MS)
        expect_streams(user, audio=1, video=1)
    banner = cy.page.get_by_test_id("call-banner")
    expect(banner).to_contain_text("Video call in progress · 2 people")
    cy.page.get_by_test_id("call-join").click()
    expect(call_view(cy)).to_have_attribute("data-phase", "active")
    for user in (ada, bob, cy):
        expect_streams(user, audio=2, video=2)
    assert [signal_count(user) for user in (ada, bob, cy)] == signals, (
        "call set up through the server"
    )

    # Ada and Bob hang up; alone, Cy's call ends by itself.
    for user in (ada, bob):
        user.page.get_by_test_id("call-hangup").click()
        expect(call_view(user)).to_be_hidden(timeout=TIMEOUT_MS)
    expect(call_view(cy)).to_be_hidden(timeout=TIMEOUT_MS)
    for user in (ada, bob, cy):
        assert all(t["state"] == "ended" for t in local_tracks(user))
        expect(user.page.get_by_test_id("call-event").last).to_have_attribute(
            "data-call", "ended", timeout=TIMEOUT_MS
        )
        # Nobody is left in it: no room offers to join it any more.
        expect(user.page.get_by_test_id("call-banner")).to_be_hidden()
    # One line per history, Cy's leaving and rejoining included.
    for user, others in ((ada, ("Bob", "Cy")), (bob, ("Ada", "Cy")), (cy, ("Ada", "Bob"))):
        events = call_events(user)
        named = "|".join((f"{others[0]} and {others[1]}", f"{others[1]} and {others[0]}"))
        summary = rf"Video call with ({named}) · \d+:\d\d"
        assert len(events) == 1 and re.fullmatch(summary, events[0]), events


GRID_COLUMNS = """() => getComputedStyle(document.querySelector('[data-testid="call-stage"]'))
  .gridTemplateColumns.split(' ').length"""


def test_four_people_and_a_latecomer_who_hears_of_the_call_from_its_members(new_user):
    ada, bob, cy, link = three_in_a_room(new_user, "Four")
    ring_and_accept(ada, [bob, cy], button="call-video")

    # Dee comes into the room on a phone after the call started: nobody rings her, but
    # each member's `present` on the new link tells her a call is running.
    dee = new_user()
    dee.page.add_init_script(WATCH_MEDIA)
    dee.page.set_viewport_size({"width": 390, "height": 844})
    dee.onboard("Dee")
    dee.open_invite(link)
    dee.wait_for_peers(3)
    expect(dee.page.get_by_test_id("call-banner")).to_contain_text(
        "Video call in progress · 3 people", timeout=TIMEOUT_MS
    )
    expect(call_view(dee)).to_be_hidden()
    dee.page.get_by_test_id("call-join").click()
    for user in (ada, bob, cy, dee):
        expect_streams(user, audio=3, video=3)
        expect(user.page.get_by_test_id("call-tile")).to_have_count(4)
    # Four tiles: two columns on a desktop and on a phone alike.
    assert ada.page.evaluate(GRID_COLUMNS) == 2
    assert dee.page.evaluate(GRID_COLUMNS) == 2
    expect(dee.page.get_by_test_id("call-status")).to_contain_text("In a call with 3 people")

    # The keyboard: M mutes, Escape never ends the call, Enter on Hang up leaves it; the
    # three others go on.
    dee.page.get_by_test_id("call-hangup").focus()
    dee.page.keyboard.press("m")
    expect(dee.page.get_by_test_id("call-mute")).to_have_attribute("aria-pressed", "true")
    expect(tile_of(ada, "Dee")).to_have_attribute("data-mic", "false")
    expect(dee.page.get_by_test_id("call-mute")).to_be_attached()
    dee.page.keyboard.press("Escape")
    dee.page.keyboard.press("m")  # still in the call: the others hear Dee again
    expect(tile_of(ada, "Dee")).to_have_attribute("data-mic", "true")
    dee.page.keyboard.press("Enter")
    expect(call_view(dee)).to_be_hidden(timeout=TIMEOUT_MS)
    for user in (ada, bob, cy):
        expect(user.page.get_by_test_id("call-tile")).to_have_count(3, timeout=TIMEOUT_MS)
