"""The rendezvous server restarts mid-conversation: the peers that were connected keep
talking peer to peer while it is gone, both reconnect (with backoff and jitter) and
rejoin their room's topic once it is back, and a newcomer can find them through it."""

import tempfile
from pathlib import Path

from playwright.sync_api import expect

from e2e.server import HeldPort, running_server
from e2e.user import TIMEOUT_MS, User


def test_a_server_restart_does_not_interrupt_a_conversation(browser):
    port = HeldPort()
    contexts = []

    def user(url: str, name: str) -> User:
        context = browser.new_context(base_url=url)
        contexts.append(context)
        person = User(context.new_page(), url)
        person.onboard(name)
        return person

    def server_state(person: User):
        return person.page.get_by_test_id("server-state")

    try:
        with tempfile.TemporaryDirectory(prefix="parley-restart-") as data:
            # One database across both runs, as a real restart keeps its data.
            env = {"DATABASE_URL": f"sqlite:///{Path(data) / 'db.sqlite3'}"}
            with running_server(env, port=port) as url:
                ada = user(url, "Ada")
                link = ada.create_room("Restart")
                bob = user(url, "Bob")
                bob.open_invite(link)
                ada.wait_for_peers(1)
                bob.wait_for_peers(1)
                ada.send("before the restart")
                bob.expect_message("before the restart", author="Ada")

            # The server is gone: both see it, and the conversation goes on without it,
            # which the banner says instead of "will be sent when you reconnect".
            for person in (ada, bob):
                expect(server_state(person)).not_to_have_attribute(
                    "data-state", "online", timeout=TIMEOUT_MS
                )
                expect(person.page.get_by_test_id("offline-banner")).to_contain_text(
                    "Messages still reach the person you are connected to", timeout=TIMEOUT_MS
                )
            ada.send("while the server is down")
            bob.expect_message("while the server is down", author="Ada")
            bob.send("still here")
            ada.expect_message("still here", author="Bob")
            ada.wait_for_peers(1)

            with running_server(env, port=port) as url:
                # Both come back by themselves and rejoin the room's topic.
                for person in (ada, bob):
                    expect(server_state(person)).to_have_attribute(
                        "data-state", "online", timeout=2 * TIMEOUT_MS
                    )
                bob.send("after the restart")
                ada.expect_message("after the restart", author="Bob")
                # A newcomer finds both through the restarted server.
                cy = user(url, "Cy")
                cy.open_invite(link)
                cy.wait_for_peers(2)
                ada.wait_for_peers(2)
                cy.expect_message("while the server is down", author="Ada")
                cy.send("hello from Cy")
                for person in (ada, bob):
                    person.expect_message("hello from Cy", author="Cy")
    finally:
        for context in contexts:
            context.close()
        port.close()
