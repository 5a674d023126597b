"""Waking through a blind mirror (docs/protocol.md §10, §12): with a mirror linked, a
member who writes hands the sealed wake of a member who is away to the mirror, which
pushes it once it holds the message; the writer's page sends no wake to the server, and
what the push service gets is the same sealed, fixed-size blob."""

import base64
import json

from cryptography.hazmat.primitives.asymmetric import ec
from playwright.sync_api import expect

from e2e.mirror_service import mirrored_server
from e2e.push_service import FakePushService, make_subscription
from e2e.test_mirror import expect_mirror_holds_everything, keep_on_mirror, leave_page
from e2e.user import TIMEOUT_MS, onboarded_people


def test_the_mirror_pushes_the_wake_once_it_holds_the_message(browser):
    scalar = ec.generate_private_key(ec.SECP256R1()).private_numbers().private_value
    vapid = base64.urlsafe_b64encode(scalar.to_bytes(32, "big")).rstrip(b"=").decode()
    with FakePushService() as push_service:
        env = {"PARLEY_VAPID_PRIVATE_KEY": vapid, "PARLEY_PUSH_INSECURE_HOSTS": push_service.host}
        with (
            mirrored_server(server_env=env) as (url, mirror),
            onboarded_people(browser, url) as person,
        ):
            ada = person("Ada Lovelace")
            link = ada.create_room("Tea club")
            bob = person("Bob")
            bob.open_invite(link)
            ada.wait_for_peers(1)
            bob.page.context.grant_permissions(["notifications"], origin=url)
            bob.page.get_by_test_id("notifications-toggle").check()
            expect(ada.page.locator('[data-testid="peer"][data-notify="all"]')).to_have_count(
                1, timeout=TIMEOUT_MS
            )
            subscription = make_subscription(push_service.endpoint())
            bob.page.evaluate(
                """async (subscription) => {
                    const module = await import('/static/app/push/push-registration.js');
                    return module.registerSubscriptionForThisDevice(subscription);
                }""",
                subscription.as_json(),
            )
            keep_on_mirror(ada)
            leave_page(bob)
            ada.wait_for_peers(0)
            # A wake goes through a mirror only when it holds all the room so far.
            expect_mirror_holds_everything(ada)

            ada.send("the eagle lands at noon")
            [request] = push_service.wait_for_requests(1, timeout=TIMEOUT_MS / 1000)
            assert request.path == subscription.endpoint.split(push_service.origin)[1]
            blob = subscription.decrypt(request.body).decode("ascii")
            assert len(base64.urlsafe_b64decode(blob + "=" * (-len(blob) % 4))) == 1072
            assert b"eagle" not in request.body and b"Ada" not in request.body
            ada.page.wait_for_timeout(200)  # lets Playwright hand over the socket events
            sent = [json.loads(text) for direction, text in ada.frames if direction == "sent"]
            assert [frame for frame in sent if frame["type"] == "wake"] == []
            assert "a wake handed on" in mirror.log()
