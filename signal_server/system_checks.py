"""Django system checks of our own: deployment mistakes that must stop the server.

They run before every management command (`serve` included), not only with `--deploy`,
so a production start cannot skip them.
"""

from django.conf import settings
from django.core.checks import Error, Tags, register

from signal_server.state.factory import redis_extra_missing

CHECK_EMBEDDED_KEY = "signal_server.E001"
CHECK_REDIS_EXTRA = "signal_server.E002"


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
