"""`GET /healthz` without Redis (with Redis: tests/scaleout/test_scaleout.py)."""

import json
import subprocess
import sys

from django.test import AsyncClient, Client, override_settings

from .test_deploy_settings import ROOT, production_env


async def test_healthz_says_ok_and_that_redis_is_not_used():
    response = await AsyncClient().get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"ok": True, "redis": "not used"}
    assert "no-cache" in response["Cache-Control"]


async def test_healthz_answers_only_safe_methods():
    assert (await AsyncClient().head("/healthz")).status_code == 200
    assert (await AsyncClient().post("/healthz")).status_code == 405


def test_a_production_server_answers_healthz_over_plain_http_and_redirects_the_rest():
    # Settings are read once per process: take the production ones from a subprocess.
    show = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        "print(json.dumps([s.SECURE_SSL_REDIRECT, s.SECURE_REDIRECT_EXEMPT]))"
    )
    env = {**production_env(), "DJANGO_SETTINGS_MODULE": "parley.settings"}
    result = subprocess.run(
        [sys.executable, "-c", show], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    redirect, exempt = json.loads(result.stdout)
    with override_settings(SECURE_SSL_REDIRECT=redirect, SECURE_REDIRECT_EXEMPT=exempt):
        assert Client().get("/healthz").status_code == 200
        assert Client().get("/").status_code == 301
