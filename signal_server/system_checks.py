"""Django system checks of our own: deployment mistakes that must stop the server.

They run before every management command (`serve` included), not only with `--deploy`,
so a production start cannot skip them.
"""

from django.conf import settings
from django.core.checks import Error, Tags, register

from signal_server import ice_servers, limits, mirror_key
from signal_server.state.factory import redis_extra_missing

CHECK_EMBEDDED_KEY = "signal_server.E001"
CHECK_REDIS_EXTRA = "signal_server.E002"
CHECK_ICE_URLS = "signal_server.E003"
CHECK_TURN_HALF_SET = "signal_server.E004"
CHECK_TURN_SECRET = "signal_server.E005"  # noqa: S105 (a check id)
CHECK_TURN_TTL = "signal_server.E006"
CHECK_TURN_RENEWAL = "signal_server.E007"
CHECK_MIRROR_KEY = "signal_server.E008"
CHECK_OVERLAY_DEGREE = "signal_server.E009"
RENEWAL_HEADROOM = 1.2


@register(Tags.security)
def check_secret_key_is_set(app_configs, **kwargs) -> list[Error]:
    """A deployment (HTTPS, no debug) must not run on the key that is in the source."""
    if settings.DEBUG or not settings.PARLEY_HTTPS:
        return []
    if settings.SECRET_KEY != settings.PARLEY_EMBEDDED_SECRET_KEY:
        return []
    return [
        Error(
            "PARLEY_SECRET_KEY is not set, so the key embedded in the source is used.",
            hint="Set PARLEY_SECRET_KEY to a random value of 50 or more characters, "
            "e.g. python -c 'import secrets; print(secrets.token_urlsafe(50))'.",
            id=CHECK_EMBEDDED_KEY,
        )
    ]


@register()
def check_redis_extra_is_installed(app_configs, **kwargs) -> list[Error]:
    """REDIS_URL asks for the shared state in Redis, which needs the optional extra."""
    missing = redis_extra_missing() if settings.REDIS_URL else None
    if missing is None:
        return []
    return [
        Error(
            f"REDIS_URL is set, but the package {missing!r} of the 'redis' extra is not installed.",
            hint="pip install 'parley[redis]', or unset REDIS_URL to keep the state in "
            "this one process's memory.",
            id=CHECK_REDIS_EXTRA,
        )
    ]


@register()
def check_ice_servers(app_configs, **kwargs) -> list[Error]:
    """The ICE server settings are well-formed, and TURN is configured whole or not at all.

    A mistake here would leave every client without a relay, silently: stop the start.
    """
    errors = []
    for name, schemes in (
        ("PARLEY_STUN_URLS", ice_servers.STUN_SCHEMES),
        ("PARLEY_TURN_URLS", ice_servers.TURN_SCHEMES),
    ):
        for problem in ice_servers.url_problems(getattr(settings, name), schemes):
            errors.append(
                Error(
                    f"{name}: {problem}.",
                    hint="Comma-separated URLs such as stun:turn.example.org:3478, "
                    "turn:turn.example.org:3478?transport=udp, turns:turn.example.org:443"
                    "?transport=tcp (docs/deployment.md, TURN).",
                    id=CHECK_ICE_URLS,
                )
            )
    urls, secret = settings.PARLEY_TURN_URLS, settings.PARLEY_TURN_SECRET
    if bool(urls) != bool(secret):
        errors.append(
            Error(
                "PARLEY_TURN_URLS is set without PARLEY_TURN_SECRET"
                if urls
                else "PARLEY_TURN_SECRET is set without PARLEY_TURN_URLS",
                hint="TURN needs both: the URLs clients use and the secret shared with "
                "coturn's static-auth-secret. Set both, or neither.",
                id=CHECK_TURN_HALF_SET,
            )
        )
    if secret and (
        len(secret) < ice_servers.MIN_SECRET_CHARS
        or not ice_servers.SECRET_CHARACTERS.fullmatch(secret)
    ):
        errors.append(
            Error(
                f"PARLEY_TURN_SECRET must be at least {ice_servers.MIN_SECRET_CHARS} "
                "characters, of letters, digits and -_.~+/= only.",
                hint="Anyone holding one credential can try secrets offline, so it must be "
                "long and random: python -c 'import secrets; print(secrets.token_urlsafe(32))'.",
                id=CHECK_TURN_SECRET,
            )
        )
    ttl = settings.PARLEY_TURN_TTL_SECONDS
    rate = settings.PARLEY_SIGNAL["ICE_RATE_PER_SECOND"]
    if not ice_servers.MIN_TTL_SECONDS <= ttl <= ice_servers.MAX_TTL_SECONDS:
        errors.append(
            Error(
                f"PARLEY_TURN_TTL_SECONDS is {ttl}, not in {ice_servers.MIN_TTL_SECONDS}-"
                f"{ice_servers.MAX_TTL_SECONDS}.",
                hint="Clients renew their credential at 3/4 of its life, within the "
                "ice-servers rate limit (docs/protocol.md §5); a day at most keeps a leaked "
                "credential short-lived.",
                id=CHECK_TURN_TTL,
            )
        )
    # A client renewing at 3/4 of the credential's life must stay within its rate limit,
    # or in time its renewals are refused and its links, restarting after a network change,
    # find no valid credential. It measures 3/4 from the answer's arrival, a little less
    # than the server's interval: hence the headroom.
    elif urls and secret and ice_servers.RENEW_AT_SHARE * ttl * rate < RENEWAL_HEADROOM:
        errors.append(
            Error(
                f"PARLEY_TURN_TTL_SECONDS ({ttl}) is too short for PARLEY_ICE_RATE_PER_SECOND "
                f"({rate:g}).",
                hint="Clients ask for a new credential at 3/4 of its life: that interval "
                f"must be at least {RENEWAL_HEADROOM:g} / PARLEY_ICE_RATE_PER_SECOND seconds.",
                id=CHECK_TURN_RENEWAL,
            )
        )
    return errors


@register()
def check_mirror_key(app_configs, **kwargs) -> list[Error]:
    """A PARLEY_MIRROR_KEY that is set is a key: else the server would run, silently,
    without the mirror service the operator configured."""
    text = settings.PARLEY_MIRROR_KEY.strip()
    if not text or mirror_key.parse_mirror_key(text) is not None:
        return []
    return [
        Error(
            "PARLEY_MIRROR_KEY is not the base64url of a 32-byte Ed25519 public key.",
            hint="Set it to the key the mirror service writes to mirror.pub in its data "
            "directory, or leave it empty for the server to read that file "
            "(PARLEY_MIRROR_KEY_FILE).",
            id=CHECK_MIRROR_KEY,
        )
    ]


@register()
def check_overlay_degree(app_configs, **kwargs) -> list[Error]:
    """A PARLEY_OVERLAY_DEGREE clients would refuse is refused at start, not at the first
    connection."""
    try:
        limits.overlay_degree(settings.PARLEY_SIGNAL["OVERLAY_DEGREE"])
    except ValueError as error:
        return [
            Error(
                str(error),
                hint='For example "8,6,12" (the default): each member keeps 6 to 12 links '
                "to a big room, 8 when it can.",
                id=CHECK_OVERLAY_DEGREE,
            )
        ]
    return []
