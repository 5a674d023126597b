"""Production settings (PARLEY_HTTPS=1) pass `check --deploy`; a forgotten key stops the server.

Settings are read once per process, so the environment-driven cases run in a
subprocess, started the way an operator starts the server.
"""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

from django.conf import settings
from django.core.checks import run_checks
from django.test import override_settings

from signal_server.system_checks import CHECK_EMBEDDED_KEY

ROOT = Path(__file__).resolve().parents[2]


def production_env(**changes: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PARLEY_", "DJANGO_"))}
    env.update(
        PARLEY_HTTPS="1",
        PARLEY_DEBUG="0",
        PARLEY_SECRET_KEY=secrets.token_urlsafe(48),  # 64 characters
        PARLEY_ALLOWED_HOSTS="parley.example",
    )
    env.update(changes)
    return env


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_check_deploy_reports_no_issues_with_production_settings():
    for proxies in ("0", "1"):
        result = manage(production_env(PARLEY_TRUSTED_PROXY_COUNT=proxies), "check", "--deploy")
        assert result.returncode == 0, result.stdout + result.stderr
        assert "System check identified no issues" in result.stdout, result.stdout
        assert "WARNINGS" not in result.stdout + result.stderr


SHOW_SETTINGS = """
import json, django
django.setup()
from django.conf import settings as s
print(json.dumps({name: getattr(s, name) for name in (
    "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD", "SECURE_PROXY_SSL_HEADER", "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE")}))
"""


def settings_in(env: dict[str, str]) -> dict:
    env = {**env, "DJANGO_SETTINGS_MODULE": "parley.settings"}
    result = subprocess.run(
        [sys.executable, "-c", SHOW_SETTINGS],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_https_turns_on_redirect_hsts_and_secure_cookies_and_trusts_only_a_proxy():
    behind_proxy = settings_in(production_env(PARLEY_TRUSTED_PROXY_COUNT="1"))
    assert behind_proxy == {
        "SECURE_SSL_REDIRECT": True,
        "SECURE_HSTS_SECONDS": 31_536_000,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SECURE_HSTS_PRELOAD": True,
        "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"],
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
    }
    # Without a trusted proxy any client could claim HTTPS in the header.
    direct = settings_in(production_env())
    assert direct["SECURE_PROXY_SSL_HEADER"] is None
    assert direct["SECURE_SSL_REDIRECT"] is True


def embedded_key_errors() -> list[str]:
    return [m.id for m in run_checks() if m.id == CHECK_EMBEDDED_KEY]


def test_the_embedded_secret_key_is_an_error_in_production():
    embedded = settings.PARLEY_EMBEDDED_SECRET_KEY
    with override_settings(DEBUG=False, PARLEY_HTTPS=True, SECRET_KEY=embedded):
        assert embedded_key_errors() == [CHECK_EMBEDDED_KEY]
    # On a laptop (no HTTPS, or debugging) the embedded key is what makes `make run` work.
    with override_settings(DEBUG=False, PARLEY_HTTPS=False, SECRET_KEY=embedded):
        assert embedded_key_errors() == []
    with override_settings(DEBUG=True, PARLEY_HTTPS=True, SECRET_KEY=embedded):
        assert embedded_key_errors() == []
    with override_settings(DEBUG=False, PARLEY_HTTPS=True, SECRET_KEY="k" * 20 + "ey" * 20):
        assert embedded_key_errors() == []


def test_a_production_start_without_a_key_is_refused():
    env = production_env()
    del env["PARLEY_SECRET_KEY"]
    result = manage(env, "check")
    assert result.returncode != 0
    assert CHECK_EMBEDDED_KEY in result.stderr
