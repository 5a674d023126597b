"""DESIGN.md §1.8, docs/protocol.md §10: a push tells an offline member that something
arrived, without the server learning what or from whom.

Everything is real except the browser's push service: Chromium here cannot reach one,
so `pushManager.subscribe` never settles (the UI says so). The test registers, through
the page's own code, a subscription at a fake push service (e2e/push_service.py); the
server pushes there with pywebpush; the test decrypts what arrived, as the push service
would forward it, and hands it to Bob's service worker with the DevTools protocol's
`ServiceWorker.deliverPushMessage`.
"""

import base64
import json
import secrets
import time

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from playwright.sync_api import expect

from e2e.push_service import FakePushService, make_subscription
from e2e.server import running_server

TIMEOUT_MS = 20_000


@pytest.fixture(scope="module")
def push_service():
    with FakePushService() as service:
        yield service


@pytest.fixture(scope="module")
def server_url(push_service):
    """A server of this module's own: it may push to the fake service over plain http."""
    scalar = ec.generate_private_key(ec.SECP256R1()).private_numbers().private_value
    vapid = base64.urlsafe_b64encode(scalar.to_bytes(32, "big")).rstrip(b"=").decode()
    env = {"PARLEY_VAPID_PRIVATE_KEY": vapid, "PARLEY_PUSH_INSECURE_HOSTS": push_service.host}
    with running_server(extra_env=env) as url:
        yield url


def turn_notifications_on(user):
    user.context.grant_permissions(["notifications"], origin=user.server_url)
    toggle = user.page.get_by_test_id("notifications-toggle")
    toggle.check()
    expect(toggle).to_be_checked()
    # No push service answers here: the switch stays on and says so, never hangs.
    expect(user.page.get_by_test_id("notifications-state")).to_have_attribute(
        "data-state", "unreachable", timeout=TIMEOUT_MS
    )


def register_fake_subscription(user, push_service):
    """What a working pushManager.subscribe would give, registered by the page's code."""
    subscription = make_subscription(push_service.endpoint())
    answer = user.page.evaluate(
        """async (subscription) => {
            const module = await import('/static/app/push/push-registration.js');
            return module.registerSubscriptionForThisDevice(subscription);
        }""",
        subscription.as_json(),
    )
    assert len(answer["mailbox_id"]) == 43
    return subscription


class ServiceWorkerDevTools:
    """Bob's service worker registration, as the DevTools protocol sees it."""

    def __init__(self, page, origin: str):
        self.origin = origin
        self.page = page
        self.session = page.context.new_cdp_session(page)
        self.registrations: dict[str, dict] = {}
        self.session.on("ServiceWorker.workerRegistrationUpdated", self._updated)
        self.session.send("ServiceWorker.enable")

    def _updated(self, event):
        for registration in event["registrations"]:
            self.registrations[registration["registrationId"]] = registration

    def registration_id(self) -> str:
        deadline = time.monotonic() + TIMEOUT_MS / 1000
        while time.monotonic() < deadline:
            for registration in self.registrations.values():
                if registration["scopeURL"] == self.origin + "/" and not registration["isDeleted"]:
                    return registration["registrationId"]
            self.page.wait_for_timeout(100)  # lets Playwright dispatch the events
        raise AssertionError(f"no service worker registration: {self.registrations}")

    def deliver(self, data: str):
        self.session.send(
            "ServiceWorker.deliverPushMessage",
            {"origin": self.origin, "registrationId": self.registration_id(), "data": data},
        )


def shown_notifications(page) -> list[dict]:
    return page.evaluate(
        """async () => {
            const registration = await navigator.serviceWorker.getRegistration('/');
            const shown = await registration.getNotifications();
            return shown.map((n) => ({ title: n.title, body: n.body, tag: n.tag, data: n.data }));
        }"""
    )


def close_notifications(page):
    page.evaluate(
        """async () => {
            const registration = await navigator.serviceWorker.getRegistration('/');
            for (const n of await registration.getNotifications()) n.close();
        }"""
    )


def wait_for_notifications(page, count: int) -> list[dict]:
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while time.monotonic() < deadline:
        shown = shown_notifications(page)
        if len(shown) >= count:
            return shown
        page.wait_for_timeout(200)
    raise AssertionError(f"{count} notifications expected, {shown_notifications(page)} shown")


def test_a_push_to_an_offline_member_shows_the_room_and_sender_only(
    new_user, persistent_user, push_service, server_url
):
    ada = new_user("Ada Lovelace")
    link = ada.create_room("Tea club")
    bob = persistent_user("bob", "Bob")
    bob.open_invite(link)
    ada.wait_for_peers(1)
    bob.wait_for_peers(1)
    bob.create_room("Another room")  # now the room Bob's app opens first

    turn_notifications_on(bob)
    expect(ada.page.locator('[data-testid="peer"][data-notify="all"]')).to_have_count(
        1, timeout=TIMEOUT_MS
    )
    subscription = register_fake_subscription(bob, push_service)
    devtools = ServiceWorkerDevTools(bob.page, server_url)
    devtools.registration_id()

    bob.page.goto("about:blank")  # Bob is away; his browser (and service worker) stay
    expect(ada.page.locator('[data-testid="peer"][data-state="ready"]')).to_have_count(
        0, timeout=TIMEOUT_MS
    )
    secret_text = "the eagle lands at noon"
    ada.send(secret_text)

    [request] = push_service.wait_for_requests(1, timeout=TIMEOUT_MS / 1000)
    assert request.path == subscription.endpoint.split(push_service.origin)[1]
    blob = subscription.decrypt(request.body).decode("ascii")
    [wake] = ada.sent_frames("wake", count=1)
    assert wake["blob"] == blob, "the server forwards the sealed blob unchanged"
    assert len(base64.urlsafe_b64decode(blob + "=" * (-len(blob) % 4))) == 1072
    for seen in (request.body, json.dumps(wake).encode(), blob.encode()):
        for plaintext in (secret_text, "eagle", "Ada", "Bob", "Tea club"):
            assert plaintext.encode() not in seen

    devtools.deliver(blob)
    reader = bob.context.new_page()  # a page of Bob's origin that is not the app
    reader.goto(server_url + "/push/vapid")
    [shown] = wait_for_notifications(reader, 1)
    assert shown["title"] == "Tea club"
    assert "Ada Lovelace" in shown["body"]
    assert "eagle" not in shown["body"], "message previews are off by default"
    room_topic = shown["data"]["room"]
    assert shown["tag"] == room_topic

    # Bob turns this room's notifications off: the same wake now shows nothing.
    close_notifications(reader)
    bob.page.goto(server_url + "/")
    bob.page.get_by_test_id("room-item").filter(has_text="Tea club").click()
    bob.page.get_by_test_id("room-notify").select_option("none")
    expect(ada.page.locator('[data-testid="peer"][data-notify="none"]')).to_have_count(
        1, timeout=TIMEOUT_MS
    )
    bob.page.goto("about:blank")
    devtools.deliver(blob)
    reader.wait_for_timeout(3000)  # the worker would have shown it by now
    assert shown_notifications(reader) == []

    # A notification opens its room: /#open=<room> selects it, and leaves the address bar.
    bob.page.goto(f"{server_url}/#open={room_topic}")
    expect(bob.page.get_by_test_id("room-name")).to_have_text("Tea club")
    expect(bob.page).to_have_url(server_url + "/")


def test_a_member_who_wants_no_notifications_in_a_room_is_not_woken(
    new_user, persistent_user, push_service, server_url
):
    ada = new_user("Ada")
    link = ada.create_room("Quiet room")
    bob = persistent_user("bob-quiet", "Bob")
    bob.open_invite(link)
    ada.wait_for_peers(1)
    bob.wait_for_peers(1)
    bob.page.get_by_test_id("room-notify").select_option("none")
    turn_notifications_on(bob)
    expect(ada.page.locator('[data-testid="peer"][data-notify="none"]')).to_have_count(
        1, timeout=TIMEOUT_MS
    )
    subscription = register_fake_subscription(bob, push_service)

    bob.page.goto("about:blank")
    expect(ada.page.locator('[data-testid="peer"][data-state="ready"]')).to_have_count(
        0, timeout=TIMEOUT_MS
    )
    ada.send(f"@Bob are you there? {secrets.token_hex(4)}")
    expect(ada.page.get_by_test_id("message")).to_have_count(1)
    ada.page.wait_for_timeout(3000)  # a wake would have gone out at once
    assert ada.sent_frames("wake") == []
    assert push_service.requests_for(subscription.endpoint) == []
