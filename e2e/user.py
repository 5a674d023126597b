"""A person using Parley in one browser context: the verbs tests are written in."""

import json
import time
from contextlib import contextmanager

from playwright.sync_api import Page, expect

from e2e.frames import b64url_decode

TIMEOUT_MS = 20_000


class User:
    live: list["User"] = []  # for failure messages that show every page of a test
    python_peers: list = []  # the test's RoomPeerThreads, also shown in failure messages

    def __init__(self, page: Page, server_url: str):
        User.live = [user for user in User.live if not user.page.is_closed()] + [self]
        self.page = page
        self.server_url = server_url
        self.frames: list[tuple[str, str]] = []  # (direction, text) seen on /ws/signal
        page.on("websocket", self._watch_socket)
        page.on("console", self._keep_errors)
        page.on("pageerror", lambda error: self.console_errors.append(f"uncaught: {error}"))
        self.console_errors: list[str] = []
        self.closed_links: list[str] = []  # "<connection id> closed (<reason>)", from the console

    def _watch_socket(self, ws):
        if not ws.url.endswith("/ws/signal"):
            return
        ws.on("framesent", lambda payload: self.frames.append(("sent", _text(payload))))
        ws.on("framereceived", lambda payload: self.frames.append(("received", _text(payload))))

    def _keep_errors(self, message):
        if message.type in ("error", "warning"):
            self.console_errors.append(message.text)
        elif message.text.startswith("parley: link to "):
            self.closed_links.append(message.text.removeprefix("parley: link to "))

    def close(self):
        """Quit: the browser (a persistent profile) or the context goes away."""
        self.page.context.close()

    def open(self, path: str = "/"):
        self.page.goto(self.server_url + path)

    def onboard(self, name: str, path: str = "/"):
        self.open(path)
        self.page.get_by_test_id("name-input").fill(name)
        self.page.get_by_test_id("name-submit").click()
        expect(self.page.get_by_test_id("my-name")).to_have_text(name)
        expect(self.page.get_by_test_id("server-state")).to_have_attribute("data-state", "online")

    @property
    def identity_id(self) -> str:
        return self.page.get_by_test_id("my-id").get_attribute("title")

    def create_room(self, name: str) -> str:
        self.page.get_by_test_id("new-room").click()
        self.page.get_by_test_id("new-room-dialog-input").fill(name)
        self.page.get_by_test_id("new-room-dialog-submit").click()
        expect(self.page.get_by_test_id("room-name")).to_have_text(name)
        return self.page.get_by_test_id("invite-link").input_value()

    def open_invite(self, link: str):
        self.page.goto(link)
        expect(self.page.get_by_test_id("room-name")).to_be_visible()

    def connection_key(self) -> bytes:
        """The connection key of the page's current rendezvous connection: the `key` of
        the last `hello` it sent (§3), which the page draws for each new socket."""
        hellos = [
            frame["key"]
            for direction, text in self.frames
            if direction == "sent" and (frame := _json_object(text)).get("type") == "hello"
        ]
        assert hellos, "the page has not greeted the rendezvous server"
        return b64url_decode(hellos[-1])

    def sent_frames(self, kind: str, count: int = 0, since: int = 0) -> list[dict]:
        """The frames of this type the page sent on /ws/signal (from self.frames[since]
        on), once at least ``count`` of them reached us: Playwright dispatches the socket
        events it holds only while we wait on the page."""
        deadline = time.monotonic() + TIMEOUT_MS / 1000
        while True:
            self.page.wait_for_timeout(100)
            seen = self.frames[since:]
            sent = [json.loads(text) for direction, text in seen if direction == "sent"]
            frames = [frame for frame in sent if frame["type"] == kind]
            if len(frames) >= count or time.monotonic() > deadline:
                return frames

    def wait_for_peers(self, count: int = 1):
        ready = self.page.locator('[data-testid="peer"][data-state="ready"]')
        try:
            expect(ready).to_have_count(count, timeout=TIMEOUT_MS)
        except AssertionError as error:
            raise AssertionError(f"{error}\n{self.everyone()}") from None

    def send(self, text: str):
        self.page.get_by_test_id("composer").fill(text)
        self.page.get_by_test_id("composer").press("Enter")

    def timeline(self) -> list[str]:
        """What the conversation shows, in order, comparable between users."""
        return self.page.get_by_test_id("message").evaluate_all(
            """els => els.map(el => [
                el.dataset.id,
                el.querySelector('[data-testid=message-text]')?.textContent ?? '(deleted)',
                el.querySelector('[data-testid=edited-label]') ? 'edited' : '',
                [...el.querySelectorAll('[data-testid=reaction-chip]')]
                    .map(c => c.dataset.emoji + c.dataset.count).join(' '),
            ].join(' | '))"""
        )

    def message(self, text: str):
        return self.page.get_by_test_id("message").filter(
            has=self.page.get_by_test_id("message-text").get_by_text(text, exact=True)
        )

    def everyone(self) -> str:
        """The diagnosis of this page first, then of every other live user's page."""
        lines = [f"this page: {self.diagnosis()}"]
        for other in User.live:
            if other is not self and not other.page.is_closed():
                lines.append(f"other page: {other.diagnosis()}")
        for peer in User.python_peers:
            lines.append(f"python peer: {peer.diagnosis()}")
        return "\n".join(lines)

    def diagnosis(self) -> str:
        """What this user's page shows about its connections, for failure messages."""
        shown = self.page.evaluate(
            """() => ['.server-state', '.peer-strip', '.warnings']
                .map(s => document.querySelector(s)?.innerText.replace(/\\s+/g, ' ') ?? '-')
                .join(' | ')"""
        )
        recent = [f"{direction[0]}:{text[:70]}" for direction, text in self.frames[-8:]]
        errors = self.console_errors[-5:]
        closed = self.closed_links[-5:]
        return (
            f"{shown}\nlast signaling frames: {recent}\nconsole errors: {errors}"
            f"\nlinks closed: {closed}"
        )

    def expect_message(self, text: str, author: str | None = None):
        message = self.message(text)
        try:
            expect(message).to_have_count(1, timeout=TIMEOUT_MS)
        except AssertionError as error:
            raise AssertionError(f"{error}\n{self.everyone()}") from None
        if author:
            expect(message.get_by_test_id("message-author")).to_have_text(author)
        return message


def _text(payload) -> str:
    return payload if isinstance(payload, str) else payload.decode("utf-8", "replace")


def _json_object(text: str) -> dict:
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


@contextmanager
def onboarded_people(browser, url: str):
    """person(name) -> an onboarded User in a browser context of its own on `url`; every
    context is closed on the way out."""
    contexts = []

    def person(name: str) -> User:
        context = browser.new_context(base_url=url)
        contexts.append(context)
        user = User(context.new_page(), url)
        user.onboard(name)
        return user

    try:
        yield person
    finally:
        for context in contexts:
            context.close()
