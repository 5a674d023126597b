"""The server's only stored data: Web Push subscriptions (docs/protocol.md §10, DESIGN §2).

Everything else the rendezvous server knows lives in memory and is gone on restart. A
subscription is filed under a mailbox id (a hash of the mailbox key), so the table says
which push endpoints share a mailbox, never whose mailbox it is.
"""

from django.db import models


class PushSubscription(models.Model):
    # Hex of the 32-byte mailbox id: text keys index and compare the same way everywhere.
    # The unique constraint below starts with it, so it also serves lookups by mailbox.
    mailbox_id = models.CharField(max_length=64)
    # Checked against the push service allow-list before it is stored (push/endpoints.py).
    endpoint = models.CharField(max_length=1024)
    # As the browser gave them: base64url of the 65-byte P-256 point and the 16-byte secret.
    p256dh = models.CharField(max_length=87)
    auth = models.CharField(max_length=22)
    created = models.DateTimeField(auto_now_add=True)
    # Set again when the same endpoint is registered again; the mailbox's least recently
    # registered subscription is the one dropped when it is full.
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["mailbox_id", "endpoint"], name="one_subscription_per_endpoint"
            )
        ]

    def __str__(self) -> str:
        # Endpoints are capability URLs: they stay out of logs and reprs.
        return f"push subscription {self.pk} of mailbox {self.mailbox_id[:8]}…"
