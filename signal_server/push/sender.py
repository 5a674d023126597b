"""Pushing a wake to a mailbox's subscriptions (docs/protocol.md §10, "Waking").

`push_wake(mailbox_id, blob)` sends the wake's base64url text, unchanged, to every
subscription of the mailbox with pywebpush (RFC 8291 `aes128gcm`, VAPID RFC 8292), and
returns how many the push services accepted. Subscriptions answered 404 or 410 are gone
for good and deleted; any other failure (5xx, 429, a timeout) keeps them.

pywebpush is blocking (requests), so each push runs on a small thread pool of its own:
the event loop keeps relaying while push services answer, and a slow push service
holds at most PARLEY_PUSH_THREADS threads, never the loop or Django's shared thread.
"""

import asyncio
import enum
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import requests
from channels.db import database_sync_to_async
from django.conf import settings
from py_vapid import Vapid, VapidException
from pywebpush import WebPushException, webpush

from signal_server.push import store, vapid
from signal_server.push.endpoints import endpoint_problem

logger = logging.getLogger(__name__)

TTL_SECONDS = 24 * 60 * 60
# A wake is for a person who should know now; push services may delay `normal` ones
# to save a phone's battery.
HEADERS = {"Urgency": "high"}
GONE_STATUSES = frozenset({404, 410})


class Outcome(enum.Enum):
    DELIVERED = "delivered"
    GONE = "gone"
    FAILED = "failed"


async def push_wake(mailbox_id: bytes, blob: str) -> int:
    """Push `blob` to the mailbox's subscriptions; the number the push services accepted."""
    signer = vapid.current_vapid()
    if signer is None:
        logger.warning("a wake was not pushed: no VAPID key (python manage.py vapid_keys)")
        return 0
    subscriptions = await database_sync_to_async(store.subscriptions_of)(mailbox_id)
    if not subscriptions:
        return 0
    loop = asyncio.get_running_loop()
    subject = settings.PARLEY_VAPID_SUBJECT
    timeout = settings.PARLEY_PUSH_TIMEOUT_SECONDS
    outcomes = await asyncio.gather(
        *(
            loop.run_in_executor(_executor(), send, sub, blob, signer, subject, timeout)
            for sub in subscriptions
        )
    )
    gone = [
        sub.id
        for sub, outcome in zip(subscriptions, outcomes, strict=True)
        if outcome is Outcome.GONE
    ]
    if gone:
        await database_sync_to_async(store.forget)(gone)
    return sum(outcome is Outcome.DELIVERED for outcome in outcomes)


def send(
    subscription: store.Subscription, blob: str, signer: Vapid, subject: str, timeout: float
) -> Outcome:
    """One push, blocking. Logs the push service's host and status, never the endpoint
    (a capability URL) or the blob."""
    host = urlsplit(subscription.endpoint).hostname
    problem = endpoint_problem(subscription.endpoint)
    if problem is not None:
        # Stored when it was allowed; the allow-list has changed since.
        logger.info("not pushing to %s: %s", host, problem)
        return Outcome.FAILED
    try:
        webpush(
            subscription_info=subscription.as_webpush_info(),
            data=blob,
            vapid_private_key=signer,
            vapid_claims={"sub": subject},  # pywebpush adds aud (the origin) and exp
            content_encoding="aes128gcm",
            ttl=TTL_SECONDS,
            headers=HEADERS,
            timeout=timeout,
            requests_session=_session(),
        )
    except WebPushException as error:
        if error.status_code in GONE_STATUSES:
            return Outcome.GONE
        logger.info("push service %s answered %s", host, error.status_code)
        return Outcome.FAILED
    except requests.RequestException as error:
        logger.info("push service %s unreachable: %s", host, type(error).__name__)
        return Outcome.FAILED
    except VapidException as error:
        logger.error("cannot sign a push with VAPID (check PARLEY_VAPID_SUBJECT): %s", error)
        return Outcome.FAILED
    return Outcome.DELIVERED


class _PushSession(requests.Session):
    """A requests session that goes only where it is sent.

    No redirects: a push service that answers 3xx is a failure, not a way to send the
    server elsewhere (the allow-list checked the endpoint, not where it redirects). No
    environment: no proxy variables or .netrc credentials change where pushes go or
    what they carry.
    """

    def __init__(self) -> None:
        super().__init__()
        self.trust_env = False
        self.max_redirects = 0

    def request(self, method, url, *args, **kwargs):
        kwargs["allow_redirects"] = False
        return super().request(method, url, *args, **kwargs)


_local = threading.local()
_executor_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None


def _session() -> _PushSession:
    # One per pool thread, so connections to a push service are reused without sharing
    # a session between threads.
    session = getattr(_local, "session", None)
    if session is None:
        session = _local.session = _PushSession()
    return session


def _executor() -> ThreadPoolExecutor:
    global _pool
    with _executor_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(
                max_workers=settings.PARLEY_PUSH_THREADS, thread_name_prefix="parley-push"
            )
        return _pool
