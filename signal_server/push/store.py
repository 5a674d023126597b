"""The stored push subscriptions: every database access of the push code, synchronous.

Callers on the event loop wrap these in `database_sync_to_async`. A mailbox holds at
most `MAX_SUBSCRIPTIONS_PER_MAILBOX` subscriptions (one per device or browser profile);
registering another drops the one registered longest ago, so a device that keeps
re-registering is never the one dropped.
"""

from dataclasses import dataclass

from django.db import transaction

from signal_server.models import PushSubscription
from signal_server.push.registration import Registration

MAX_SUBSCRIPTIONS_PER_MAILBOX = 8


@dataclass(frozen=True, slots=True)
class Subscription:
    id: int
    endpoint: str
    p256dh: str
    auth: str

    def as_webpush_info(self) -> dict:
        """The subscription as pywebpush takes it (PushSubscription.toJSON's shape)."""
        return {"endpoint": self.endpoint, "keys": {"p256dh": self.p256dh, "auth": self.auth}}


def save(registration: Registration) -> None:
    """Store a subscription, or update the keys of the same endpoint of the mailbox."""
    mailbox = registration.mailbox_id.hex()
    with transaction.atomic():
        PushSubscription.objects.update_or_create(
            mailbox_id=mailbox,
            endpoint=registration.endpoint,
            defaults={"p256dh": registration.p256dh, "auth": registration.auth},
        )
        newest_first = PushSubscription.objects.filter(mailbox_id=mailbox).order_by(
            "-updated", "-id"
        )
        excess = list(newest_first.values_list("id", flat=True)[MAX_SUBSCRIPTIONS_PER_MAILBOX:])
        if excess:
            PushSubscription.objects.filter(id__in=excess).delete()


def delete(mailbox_id: bytes, endpoint: str) -> bool:
    """Remove one subscription of a mailbox; False if it had none with that endpoint."""
    deleted, _ = PushSubscription.objects.filter(
        mailbox_id=mailbox_id.hex(), endpoint=endpoint
    ).delete()
    return deleted > 0


def subscriptions_of(mailbox_id: bytes) -> list[Subscription]:
    rows = PushSubscription.objects.filter(mailbox_id=mailbox_id.hex()).order_by("id")
    return [
        Subscription(row.id, row.endpoint, row.p256dh, row.auth)
        for row in rows[:MAX_SUBSCRIPTIONS_PER_MAILBOX]
    ]


def forget(subscription_ids: list[int]) -> None:
    """Delete subscriptions that their push service says are gone (404, 410)."""
    PushSubscription.objects.filter(id__in=subscription_ids).delete()
