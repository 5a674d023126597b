"""Parley settings.

Every setting that differs between a laptop and a deployment is read from the
environment; the defaults are the embedded ones (SQLite, in-memory channel layer,
one daphne process), so `make run` needs no configuration.
"""

import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if not value:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


DEBUG = _env_bool("PARLEY_DEBUG", False)
# The embedded default key is public and protects nothing of value (the server keeps no
# sessions or users); deployments set PARLEY_SECRET_KEY anyway, and with PARLEY_HTTPS=1
# the system check signal_server.E001 refuses to start without it.
PARLEY_EMBEDDED_SECRET_KEY = "parley-embedded-default-key-set-PARLEY_SECRET_KEY-in-production"  # noqa: S105
SECRET_KEY = os.environ.get("PARLEY_SECRET_KEY", PARLEY_EMBEDDED_SECRET_KEY)
ALLOWED_HOSTS = _env_list("PARLEY_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])

INSTALLED_APPS = [
    "daphne",
    "django.contrib.staticfiles",
    "channels",
    "signal_server",
    "mirror",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "signal_server.middleware.ContentSecurityPolicyMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Nothing accepts a form yet; the middleware costs nothing on GET and keeps any
    # future POST view protected by default.
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "parley.urls"
ASGI_APPLICATION = "parley.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {"context_processors": ["django.template.context_processors.request"]},
    }
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "")
# No Channels channel layer: the rendezvous consumers deliver to each other directly, and
# with REDIS_URL over Redis pub/sub (signal_server/local_delivery.py, state/redis/relay.py).
CHANNEL_LAYERS = {}
# With REDIS_URL, the topics and the per-mailbox wake budget are shared in Redis too
# (signal_server/state/, docs/deployment.md "Several processes on Redis").
PARLEY_REDIS = {
    "PREFIX": os.environ.get("PARLEY_REDIS_PREFIX", "parley:"),
    # Every Redis call of a frame fails after this long rather than hanging it.
    "TIMEOUT_SECONDS": float(os.environ.get("PARLEY_REDIS_TIMEOUT_SECONDS", 1)),
    # A process refreshes its heartbeat this often; its connections count as gone from
    # every topic once the heartbeat is PROCESS_TTL_SECONDS old (the process died).
    "HEARTBEAT_SECONDS": float(os.environ.get("PARLEY_REDIS_HEARTBEAT_SECONDS", 2)),
    "PROCESS_TTL_SECONDS": int(os.environ.get("PARLEY_REDIS_PROCESS_TTL_SECONDS", 10)),
}

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
PARLEY_SERVE_STATIC = _env_bool("PARLEY_SERVE_STATIC", True)
# The page loads the app's bundle (static/bundle/, built by `make`) while it matches the
# modules it was built from, else the modules (signal_server/app_bundle.py). Off: always
# the modules.
PARLEY_APP_BUNDLE = _env_bool("PARLEY_APP_BUNDLE", True)

USE_TZ = True
LANGUAGE_CODE = "en"

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "no-referrer"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# How many reverse proxies in front of the server append to X-Forwarded-For; 0 means the
# header is ignored (any client can send one). See docs/deployment.md.
PARLEY_TRUSTED_PROXY_COUNT = int(os.environ.get("PARLEY_TRUSTED_PROXY_COUNT", 0))

# PARLEY_HTTPS=1: the site is only ever served over TLS (docs/deployment.md).
PARLEY_HTTPS = _env_bool("PARLEY_HTTPS", False)
if PARLEY_HTTPS:
    SECURE_SSL_REDIRECT = True
    # A load balancer's health check asks each process directly, over plain HTTP.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_HSTS_SECONDS = 365 * 24 * 60 * 60
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    # No sessions or CSRF cookies are used today; if one ever is, it stays off plain HTTP.
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    if PARLEY_TRUSTED_PROXY_COUNT > 0:
        # TLS ends at the proxy, which says so in this header (and overwrites any the
        # client sent); without a trusted proxy the header is not believed.
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Rendezvous limits (docs/protocol.md, "Limits"). Each is read from the environment so
# an operator can tune them; tests override them with Django's override_settings.
PARLEY_SIGNAL = {
    "MAX_FRAME_BYTES": int(os.environ.get("PARLEY_MAX_FRAME_BYTES", 32768)),
    "MAX_TOPICS_PER_CONNECTION": int(os.environ.get("PARLEY_MAX_TOPICS", 16)),
    "SAMPLE_SIZE": int(os.environ.get("PARLEY_SAMPLE_SIZE", 32)),
    # The degree of a room's links that clients are told to keep (§6, big rooms):
    # "target,low,high". Tests of big rooms use a small one.
    "OVERLAY_DEGREE": os.environ.get("PARLEY_OVERLAY_DEGREE", "8,6,12"),
    "RATE_PER_SECOND": float(os.environ.get("PARLEY_RATE_PER_SECOND", 20)),
    "RATE_BURST": int(os.environ.get("PARLEY_RATE_BURST", 100)),
    "FLOOD_STRIKES": int(os.environ.get("PARLEY_FLOOD_STRIKES", 50)),
    "MAX_ERRORS": int(os.environ.get("PARLEY_MAX_ERRORS", 32)),
    "IDLE_SECONDS": float(os.environ.get("PARLEY_IDLE_SECONDS", 90)),
    "MAX_CONNECTIONS_PER_IP": int(os.environ.get("PARLEY_MAX_CONNECTIONS_PER_IP", 32)),
    "MAX_TOPICS_PER_IP": int(os.environ.get("PARLEY_MAX_TOPICS_PER_IP", 128)),
    # Wakes (§10) cost a push to a third party, so they have budgets of their own on top
    # of the frame budget: per connection, and per mailbox across the whole process.
    "WAKE_RATE_PER_SECOND": float(os.environ.get("PARLEY_WAKE_RATE_PER_SECOND", 1)),
    "WAKE_BURST": int(os.environ.get("PARLEY_WAKE_BURST", 10)),
    "MAILBOX_WAKE_RATE_PER_SECOND": float(
        os.environ.get("PARLEY_MAILBOX_WAKE_RATE_PER_SECOND", 0.1)
    ),
    "MAILBOX_WAKE_BURST": int(os.environ.get("PARLEY_MAILBOX_WAKE_BURST", 6)),
    # Wakes of one connection waiting for the push services at a time; more are refused.
    "WAKES_IN_FLIGHT": int(os.environ.get("PARLEY_WAKES_IN_FLIGHT", 4)),
    # `ice-servers` answers (TURN credentials): per connection, and per client address
    # across every connection (and every process, with Redis). A client asks once per
    # join and again at 3/4 of a credential's life, so these leave room for reconnects.
    "ICE_BURST": int(os.environ.get("PARLEY_ICE_BURST", 4)),
    "ICE_RATE_PER_SECOND": float(os.environ.get("PARLEY_ICE_RATE_PER_SECOND", 1 / 60)),
    "ICE_ADDRESS_BURST": int(os.environ.get("PARLEY_ICE_ADDRESS_BURST", 64)),
    "ICE_ADDRESS_RATE_PER_SECOND": float(os.environ.get("PARLEY_ICE_ADDRESS_RATE_PER_SECOND", 0.1)),
    # The mirror service's connection (docs/protocol.md §12) joins every room it holds
    # and links to their members: once it has proved the mirror key, these replace its
    # topic limit and token bucket, and its topics no longer count against its address.
    "MIRROR_MAX_TOPICS": int(os.environ.get("PARLEY_MIRROR_MAX_TOPICS", 4096)),
    "MIRROR_RATE_PER_SECOND": float(os.environ.get("PARLEY_MIRROR_RATE_PER_SECOND", 400)),
    "MIRROR_BURST": int(os.environ.get("PARLEY_MIRROR_BURST", 2000)),
    # Requests to the mirror service (§12), per client address, every connection together.
    "MIRROR_REQUEST_RATE_PER_SECOND": float(
        os.environ.get("PARLEY_MIRROR_REQUEST_RATE_PER_SECOND", 0.2)
    ),
    "MIRROR_REQUEST_BURST": int(os.environ.get("PARLEY_MIRROR_REQUEST_BURST", 20)),
    # It hands on the wakes of every room it holds (§12): the per-mailbox budget still holds.
    "MIRROR_WAKE_RATE_PER_SECOND": float(os.environ.get("PARLEY_MIRROR_WAKE_RATE_PER_SECOND", 50)),
    "MIRROR_WAKE_BURST": int(os.environ.get("PARLEY_MIRROR_WAKE_BURST", 500)),
    "MIRROR_WAKES_IN_FLIGHT": int(os.environ.get("PARLEY_MIRROR_WAKES_IN_FLIGHT", 64)),
}

# ICE servers handed to clients in the `ice-servers` frame (docs/protocol.md §3,
# docs/deployment.md "TURN"): comma-separated stun:/stuns: and turn:/turns: URLs. TURN
# needs PARLEY_TURN_SECRET too, the secret coturn knows as static-auth-secret; each
# client gets a credential of its own from it that expires after PARLEY_TURN_TTL_SECONDS.
# The system checks (signal_server/system_checks.py) refuse a bad URL or half a TURN setup.
PARLEY_STUN_URLS = _env_list("PARLEY_STUN_URLS", [])
PARLEY_TURN_URLS = _env_list("PARLEY_TURN_URLS", [])
PARLEY_TURN_SECRET = os.environ.get("PARLEY_TURN_SECRET", "")
PARLEY_TURN_TTL_SECONDS = int(os.environ.get("PARLEY_TURN_TTL_SECONDS", 3600))

# The coturn that `manage.py turn` and `manage.py serve --turn` run (signal_server/coturn.py).
# Only these commands read them; a deployment whose coturn runs elsewhere needs only the
# four settings above, with coturn configured the same way (docs/deployment.md "TURN").
PARLEY_COTURN = {
    "BINARY": os.environ.get("PARLEY_TURN_BINARY", "turnserver"),
    "REALM": os.environ.get("PARLEY_TURN_REALM", "parley"),
    # The address coturn listens on, the one it relays from, and the public address it
    # announces when it sits behind a 1:1 NAT (a cloud VM): empty means coturn's default
    # (every address) for the first two and no announcement for the last.
    "LISTEN_IP": os.environ.get("PARLEY_TURN_LISTEN_IP", ""),
    "RELAY_IP": os.environ.get("PARLEY_TURN_RELAY_IP", ""),
    "EXTERNAL_IP": os.environ.get("PARLEY_TURN_EXTERNAL_IP", ""),
    "PORT": int(os.environ.get("PARLEY_TURN_PORT", 3478)),
    # TURN over TLS, for networks that let only HTTPS out: on when both files are set.
    "TLS_PORT": int(os.environ.get("PARLEY_TURN_TLS_PORT", 443)),
    "CERT_FILE": os.environ.get("PARLEY_TURN_CERT_FILE", ""),
    "KEY_FILE": os.environ.get("PARLEY_TURN_KEY_FILE", ""),
    # The UDP ports relayed traffic leaves from (one per allocation).
    "MIN_PORT": int(os.environ.get("PARLEY_TURN_MIN_PORT", 49152)),
    "MAX_PORT": int(os.environ.get("PARLEY_TURN_MAX_PORT", 65535)),
    # Allocations at once per username (one credential: one device's links, up to 48, each
    # gathering on up to three TURN URLs) and for the whole server (size it to the host).
    "USER_QUOTA": int(os.environ.get("PARLEY_TURN_USER_QUOTA", 150)),
    "TOTAL_QUOTA": int(os.environ.get("PARLEY_TURN_TOTAL_QUOTA", 3000)),
    # Bytes per second one allocation may relay; 0 means no cap.
    "MAX_BPS": int(os.environ.get("PARLEY_TURN_MAX_BPS", 0)),
}

# Where the server keeps the files it makes itself (the VAPID key); never in the repo.
PARLEY_DATA_DIR = Path(os.environ.get("PARLEY_DATA_DIR", BASE_DIR / "data"))

# The mirror service's public Ed25519 key (docs/protocol.md §12), base64url: only a
# connection that signs with it is relayed `mirror` requests. Empty: the key is read from
# PARLEY_MIRROR_KEY_FILE, which the service writes and may write after the server has
# started (signal_server/mirror_key.py); no key at all means no mirror service.
PARLEY_MIRROR_KEY = os.environ.get("PARLEY_MIRROR_KEY", "")
PARLEY_MIRROR_KEY_FILE = Path(
    os.environ.get("PARLEY_MIRROR_KEY_FILE", "") or PARLEY_DATA_DIR / "mirror.pub"
)

# Web Push (docs/protocol.md §10, docs/deployment.md "Push"). The VAPID private key is
# made by `python manage.py vapid_keys` in PARLEY_DATA_DIR; PARLEY_VAPID_PRIVATE_KEY (the
# base64url 32-byte scalar, or a PEM) overrides the file, for deployments without one.
PARLEY_VAPID_PRIVATE_KEY = os.environ.get("PARLEY_VAPID_PRIVATE_KEY", "")
# Push services contact this address about misbehaving senders; a mailto: or https: URL.
PARLEY_VAPID_SUBJECT = os.environ.get("PARLEY_VAPID_SUBJECT", "mailto:admin@localhost")
# The server POSTs to whatever endpoint a client registers, so only the push services'
# hosts (these names and their subdomains, over https on port 443) are accepted: anything
# else would let a client aim the server at internal addresses (SSRF).
PARLEY_PUSH_SERVICE_HOSTS = _env_list(
    "PARLEY_PUSH_SERVICE_HOSTS",
    [
        "fcm.googleapis.com",  # Chrome, Edge (Chromium), Opera, Samsung Internet
        "push.services.mozilla.com",  # Firefox (updates.push.services.mozilla.com)
        "notify.windows.com",  # legacy Edge (WNS)
        "push.apple.com",  # Safari (web.push.apple.com)
    ],
)
# For tests only: `host` or `host:port` entries that may also be reached over plain http
# and on any port (a fake push service on 127.0.0.1). Empty in every deployment.
PARLEY_PUSH_INSECURE_HOSTS = _env_list("PARLEY_PUSH_INSECURE_HOSTS", [])
PARLEY_PUSH_REGISTRATIONS_PER_MINUTE = int(
    os.environ.get("PARLEY_PUSH_REGISTRATIONS_PER_MINUTE", 30)
)
# Threads that talk to push services; a slow push service holds one for up to the timeout.
# Every HTTP request body, cut off before Django reads it (signal_server/request_limits.py).
PARLEY_MAX_REQUEST_BODY_BYTES = int(os.environ.get("PARLEY_MAX_REQUEST_BODY_BYTES", 16384))
PARLEY_PUSH_THREADS = int(os.environ.get("PARLEY_PUSH_THREADS", 8))
PARLEY_PUSH_TIMEOUT_SECONDS = float(os.environ.get("PARLEY_PUSH_TIMEOUT_SECONDS", 10))

# The blind mirror service (`manage.py mirror`, docs/protocol.md §12, docs/deployment.md
# "Mirror"): the rendezvous server it serves, and the operator's limits.
PARLEY_MIRROR = {
    "SERVER_URL": os.environ.get("PARLEY_MIRROR_SERVER_URL", "http://127.0.0.1:8000"),
    "MAX_ROOMS": int(os.environ.get("PARLEY_MIRROR_MAX_ROOMS", 1000)),
    "MAX_ROOM_BYTES": int(os.environ.get("PARLEY_MIRROR_MAX_ROOM_BYTES", 1 << 30)),
    "ENTRIES_PER_SECOND": float(os.environ.get("PARLEY_MIRROR_ENTRIES_PER_SECOND", 2000)),
    "ENTRIES_BURST": int(os.environ.get("PARLEY_MIRROR_ENTRIES_BURST", 20000)),
    "EXPIRY_DAYS": float(os.environ.get("PARLEY_MIRROR_EXPIRY_DAYS", 30)),
}

# Every line goes through one rate limit (parley/log_limits.py): a burst, then so many a
# second; what it drops is counted on the next line. The access log (one line per HTTP
# request and per closed WebSocket, daphne only) is INFO, shown at daphne's default
# verbosity as before.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "rate_limit": {
            "()": "parley.log_limits.RateLimitFilter",
            "per_second": float(os.environ.get("PARLEY_LOG_LINES_PER_SECOND", 5)),
            "burst": int(os.environ.get("PARLEY_LOG_BURST", 100)),
        },
        "client_faults": {"()": "parley.log_limits.ClientFaultFilter"},
    },
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["client_faults", "rate_limit"],
            "formatter": "plain",
        }
    },
    "loggers": {"parley.access": {"level": "INFO"}, "mirror": {"level": "INFO"}},
    "root": {"handlers": ["console"], "level": os.environ.get("PARLEY_LOG_LEVEL", "WARNING")},
}
