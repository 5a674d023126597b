"""Web Push for offline members (docs/protocol.md §10), one job per module.

- `endpoints`: which push endpoint URLs the server will ever POST to (anti-SSRF).
- `vapid`: the server's VAPID key (RFC 8292): made, stored, loaded.
- `registration`: parsing and signature checking of subscription requests.
- `store`: the PushSubscription rows, the server's only stored data.
- `sender`: pushing a wake blob to a mailbox's subscriptions with pywebpush.
- `views`: the HTTP API (`/push/vapid`, `/push/subscription`).

The wake frame itself is handled by the rendezvous consumer, which calls `sender`.
"""
