"""TURN REST credentials (turn_credentials.py) and the ICE settings' system checks.

The known vector was computed independently of Python, with
`printf '%s' "$USERNAME" | openssl dgst -sha1 -hmac "$SECRET" -binary | base64`; the
second test runs that same command when openssl is installed.
"""

import base64
import shutil
import subprocess

import pytest
from django.conf import settings
from django.core.checks import run_checks
from django.test import override_settings

from signal_server import ice_servers, system_checks
from signal_server.turn_credentials import credential_for, mint

VECTOR_SECRET = "north-wind-and-the-sun-0123456789abcdef"
VECTOR_USERNAME = "1700000000:AAECAwQFBgcICQoLDA0ODw"
VECTOR_CREDENTIAL = "jFsxFDBg2RyZQwslcd27/eyu1Js="


def test_the_credential_matches_a_vector_computed_with_openssl():
    assert credential_for(VECTOR_SECRET, VECTOR_USERNAME) == VECTOR_CREDENTIAL


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is not installed")
def test_a_minted_credential_matches_openssl_for_its_own_username():
    minted = mint(VECTOR_SECRET, 3600, now=1_800_000_000.7)
    done = subprocess.run(
        ["openssl", "dgst", "-sha1", "-hmac", VECTOR_SECRET, "-binary"],
        input=minted.username.encode(),
        capture_output=True,
        check=True,
    )
    assert minted.credential == base64.b64encode(done.stdout).decode()


def test_the_username_is_the_expiry_and_16_random_bytes():
    first, second = mint("s" * 32, 600, now=1_800_000_000.7), mint("s" * 32, 600, now=1.0)
    assert first.expires == 1_800_000_600
    expiry, opaque = first.username.split(":")
    assert int(expiry) == first.expires
    assert len(base64.urlsafe_b64decode(opaque + "==")) == 16
    assert second.username.split(":")[1] != opaque


@pytest.mark.parametrize(
    ("url", "schemes", "problem"),
    [
        ("stun:turn.example.org", ice_servers.STUN_SCHEMES, None),
        ("stun:198.51.100.7:3478", ice_servers.STUN_SCHEMES, None),
        ("stuns:[2001:db8::1]:5349", ice_servers.STUN_SCHEMES, None),
        ("turn:turn.example.org:3478?transport=udp", ice_servers.TURN_SCHEMES, None),
        ("turns:turn.example.org:443?transport=tcp", ice_servers.TURN_SCHEMES, None),
        ("turn:turn.example.org", ice_servers.STUN_SCHEMES, "the scheme is not"),
        ("stun:turn.example.org", ice_servers.TURN_SCHEMES, "the scheme is not"),
        ("https://turn.example.org", ice_servers.TURN_SCHEMES, "not scheme:host"),
        ("turn:turn.example.org:3478?transport=sctp", ice_servers.TURN_SCHEMES, "not scheme"),
        ("turn:turn.example.org:99999", ice_servers.TURN_SCHEMES, "the port"),
        ("stun:turn.example.org?transport=udp", ice_servers.STUN_SCHEMES, "no ?transport"),
        ("turns:turn.example.org?transport=udp", ice_servers.TURN_SCHEMES, "over TLS"),
        ("turn:[1:2:3]:3478", ice_servers.TURN_SCHEMES, "IPv6"),
        ("turn:-bad-.example", ice_servers.TURN_SCHEMES, "host name"),
        # A long name that is not one (a label ending in "-"): refused at once, without
        # the exponential backtracking of a host pattern with ambiguous label splits.
        ("turn:" + "a" * 60 + "-", ice_servers.TURN_SCHEMES, "host name"),
        ("turn:turn..example.org", ice_servers.TURN_SCHEMES, "host name"),
        ("turn:user@turn.example.org", ice_servers.TURN_SCHEMES, "not scheme"),
        ("turn:turn.example.org\nrelay-ip=10.0.0.1", ice_servers.TURN_SCHEMES, "not scheme"),
        ("stun:" + "a" * 300, ice_servers.STUN_SCHEMES, "longer than"),
    ],
)
def test_url_problems(url, schemes, problem):
    found = ice_servers.url_problem(url, schemes)
    if problem is None:
        assert found is None
    else:
        assert found is not None and problem in found


GOOD = dict(
    PARLEY_STUN_URLS=["stun:turn.example.org:3478"],
    PARLEY_TURN_URLS=["turn:turn.example.org:3478?transport=udp"],
    PARLEY_TURN_SECRET="x" * 40,
    PARLEY_TURN_TTL_SECONDS=3600,
)


def ice_check_ids(**changes) -> list[str]:
    with override_settings(**{**GOOD, **changes}):
        return [error.id for error in run_checks() if error.id.startswith("signal_server.E00")]


def test_good_ice_settings_and_no_ice_settings_pass():
    assert ice_check_ids() == []
    assert ice_check_ids(PARLEY_STUN_URLS=[], PARLEY_TURN_URLS=[], PARLEY_TURN_SECRET="") == []


@pytest.mark.parametrize(
    ("changes", "check"),
    [
        ({"PARLEY_STUN_URLS": ["turn:turn.example.org"]}, system_checks.CHECK_ICE_URLS),
        ({"PARLEY_TURN_URLS": ["stun:turn.example.org"]}, system_checks.CHECK_ICE_URLS),
        ({"PARLEY_TURN_URLS": ["turn:h"] * 9}, system_checks.CHECK_ICE_URLS),
        ({"PARLEY_TURN_SECRET": ""}, system_checks.CHECK_TURN_HALF_SET),
        ({"PARLEY_TURN_URLS": []}, system_checks.CHECK_TURN_HALF_SET),
        ({"PARLEY_TURN_SECRET": "short"}, system_checks.CHECK_TURN_SECRET),
        ({"PARLEY_TURN_SECRET": "x" * 40 + "\nno-auth"}, system_checks.CHECK_TURN_SECRET),
        ({"PARLEY_TURN_TTL_SECONDS": 0}, system_checks.CHECK_TURN_TTL),
        ({"PARLEY_TURN_TTL_SECONDS": 7 * 86400}, system_checks.CHECK_TURN_TTL),
        ({"PARLEY_TURN_TTL_SECONDS": 95}, system_checks.CHECK_TURN_RENEWAL),
    ],
)
def test_a_bad_ice_setting_is_a_system_check_error(changes, check):
    assert ice_check_ids(**changes) == [check]


def test_a_short_credential_life_is_allowed_when_the_renewals_fit_the_rate_limit():
    signal = {**settings.PARLEY_SIGNAL, "ICE_RATE_PER_SECOND": 1 / 30}
    assert ice_check_ids(PARLEY_TURN_TTL_SECONDS=60, PARLEY_SIGNAL=signal) == []
    assert ice_check_ids(PARLEY_TURN_TTL_SECONDS=96) == []  # renewals 72 s apart, 1 per 60 s
    # Without TURN no credential is renewed.
    no_turn = {"PARLEY_TURN_URLS": [], "PARLEY_TURN_SECRET": ""}
    assert ice_check_ids(PARLEY_TURN_TTL_SECONDS=60, **no_turn) == []
    assert ice_check_ids(PARLEY_TURN_TTL_SECONDS=59, PARLEY_SIGNAL=signal) == [
        system_checks.CHECK_TURN_TTL
    ]
