"""Everything people type — names, room names, messages, reactions — is shown as text
and runs nothing (strict CSP, and the UI never parses HTML)."""

from urllib.parse import quote_plus

from playwright.sync_api import expect

PAYLOADS = [
    "<script>window.__pwned = 'script'</script>",
    "<img src=x onerror=\"window.__pwned = 'img'\">",
    "<svg onload=\"window.__pwned='svg'\"></svg>",
    '"><iframe src="javascript:window.top.__pwned=\'iframe\'"></iframe>',
    "<a href=\"javascript:window.__pwned='link'\">click</a>",
    "{{ 7*7 }} ${7*7} <b>bold</b> &lt;escaped&gt;",
]


def assert_not_pwned(*users):
    for user in users:
        assert user.page.evaluate("window.__pwned") is None
        assert (
            user.page.locator(".message-text script, .message-text img, .message-text svg").count()
            == 0
        )
        assert user.page.locator("iframe").count() == 0


def test_html_and_script_in_user_content_is_shown_as_text(new_user, python_peer):
    evil_name = "<img src=x onerror=\"window.__pwned='name'\">Eve"
    ada = new_user(evil_name)
    link = ada.create_room("<script>window.__pwned='room'</script>")
    expect(ada.page.get_by_test_id("room-name")).to_have_text(
        "<script>window.__pwned='room'</script>"
    )
    bob = new_user("Bob")
    bob.open_invite(link)
    ada.wait_for_peers(1)
    expect(bob.page.get_by_test_id("room-name")).to_have_text(
        "<script>window.__pwned='room'</script>"
    )
    for payload in PAYLOADS:
        ada.send(payload)
        bob.expect_message(payload)
    expect(bob.page.get_by_test_id("peer")).to_contain_text(evil_name)
    expect(bob.message(PAYLOADS[0]).get_by_test_id("message-author")).to_have_text(evil_name)

    # A member that writes a reaction no picker would offer: still only text.
    with python_peer(link, '<b onmouseover="x()">Mal</b>') as mallory:
        bob.wait_for_peers(2)
        mallory.wait_ready(2, timeout=25)
        target = bob.message(PAYLOADS[1]).get_attribute("data-id")
        join = mallory.make_entry(
            {"type": "join", "ts": 0, "clock": 900, "name": "<i>Mal</i>"}, seq=0
        )
        reaction = mallory.make_entry(
            {
                "type": "reaction",
                "ts": 0,
                "clock": 901,
                "target": target,
                "emoji": "<i>",
                "on": True,
            },
            seq=1,
            prev=join.id,
        )
        mallory.send_entries([join, reaction])
        chip = bob.message(PAYLOADS[1]).locator('[data-testid="reaction-chip"]')
        expect(chip).to_have_attribute("data-emoji", "<i>")
        expect(chip).to_contain_text("<i>")

    # A room name smuggled through an invite link's fragment is text too.
    carol = new_user("Carol")
    carol.open_invite(
        link.split("&name=")[0] + "&name=" + quote_plus("<img src=x onerror=alert(1)>")
    )
    expect(carol.page.get_by_test_id("room-name")).to_have_text("<img src=x onerror=alert(1)>")
    assert_not_pwned(ada, bob, carol)
    for user in (ada, bob, carol):
        assert not [
            e for e in user.console_errors if "Content Security Policy" in e and "script" in e
        ]


def test_links_and_formatting_are_made_of_text_and_fetch_nothing(new_user):
    ada = new_user("Ada")
    link = ada.create_room("Formatting")
    bob = new_user("Bob")
    asked = []
    bob.page.on("request", lambda request: asked.append(request.url))
    bob.open_invite(link)
    ada.wait_for_peers(1)
    text = "read *this* at https://example.org/page?a=1. and `<b>x</b>`\n> quoted _line_"
    ada.send(text)
    shown = bob.page.get_by_test_id("message-text").last
    expect(shown).to_contain_text("read this at https://example.org/page?a=1. and <b>x</b>")
    expect(shown.locator("strong")).to_have_text("this")
    expect(shown.locator("code")).to_have_text("<b>x</b>")
    expect(shown.locator(".quote-line em")).to_have_text("line")
    anchor = shown.locator("a")
    expect(anchor).to_have_count(1)
    expect(anchor).to_have_attribute("href", "https://example.org/page?a=1")
    expect(anchor).to_have_attribute("rel", "noopener noreferrer")
    expect(anchor).to_have_attribute("target", "_blank")
    assert shown.locator("b").count() == 0
    ada.send("javascript:window.__pwned='link' and <a href=\"javascript:x()\">a</a>")
    expect(bob.page.get_by_test_id("message-text").last).to_contain_text("javascript:")
    assert bob.page.locator('.message-text a[href^="javascript"]').count() == 0
    # No preview: nobody fetched the linked page.
    assert not [url for url in asked if "example.org" in url], asked
    assert_not_pwned(ada, bob)
