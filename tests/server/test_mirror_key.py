"""`GET /mirror` and where the server's mirror key comes from (docs/protocol.md §12,
docs/deployment.md "Environment"): PARLEY_MIRROR_KEY, else the file the mirror service
writes, read when needed; a malformed environment key stops the start."""

import os

import pytest
from django.core.checks import run_checks
from nacl.signing import SigningKey

from signal_server.system_checks import CHECK_MIRROR_KEY

from .wire import b64


def public(key: SigningKey) -> str:
    return b64(bytes(key.verify_key))


def get_mirror(http) -> dict:
    response = http.get("/mirror")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "no-cache" in response["Cache-Control"]
    return response.json()


def test_without_a_key_there_is_no_mirror(http, no_mirror_key):
    assert get_mirror(http) == {"mirror": None}


def test_the_environment_key_is_announced(http, mirror_key):
    assert get_mirror(http) == {"mirror": {"key": public(mirror_key)}}


def test_the_environment_key_wins_over_the_file(http, mirror_key, settings):
    settings.PARLEY_MIRROR_KEY_FILE.parent.mkdir(parents=True)
    settings.PARLEY_MIRROR_KEY_FILE.write_text(public(SigningKey.generate()) + "\n")
    assert get_mirror(http) == {"mirror": {"key": public(mirror_key)}}


def test_the_file_is_read_once_it_appears_and_again_once_it_changes(http, no_mirror_key, settings):
    path = settings.PARLEY_MIRROR_KEY_FILE
    assert get_mirror(http) == {"mirror": None}
    first = SigningKey.generate()
    path.write_text(public(first) + "\n")
    assert get_mirror(http) == {"mirror": {"key": public(first)}}
    second = SigningKey.generate()
    replacement = path.with_name("mirror.pub.new")
    replacement.write_text(public(second))
    replacement.replace(path)
    assert get_mirror(http) == {"mirror": {"key": public(second)}}
    path.unlink()
    assert get_mirror(http) == {"mirror": None}


@pytest.mark.parametrize(
    "text",
    [
        "",
        "not a key",
        b64(os.urandom(31)),
        b64(os.urandom(33)),
        b64(bytes(32)),  # 32 bytes, but no Ed25519 public key
        public(SigningKey.generate()) + "=",
    ],
)
def test_a_file_without_a_key_is_no_mirror(http, no_mirror_key, settings, text):
    settings.PARLEY_MIRROR_KEY_FILE.write_text(text)
    assert get_mirror(http) == {"mirror": None}


def test_the_default_file_is_mirror_pub_in_the_data_directory(settings):
    from parley import settings as defaults

    assert defaults.PARLEY_MIRROR_KEY_FILE == defaults.PARLEY_DATA_DIR / "mirror.pub"


@pytest.mark.parametrize("method", ["post", "put", "delete", "head"])
def test_only_get_is_answered(http, mirror_key, method):
    assert getattr(http, method)("/mirror").status_code == 405


def mirror_key_errors() -> list[str]:
    return [m.id for m in run_checks() if m.id == CHECK_MIRROR_KEY]


@pytest.mark.parametrize(
    "text", ["x", b64(os.urandom(16)), b64(bytes(32)), public(SigningKey.generate()) + "="]
)
def test_a_malformed_environment_key_stops_the_start(settings, text):
    settings.PARLEY_MIRROR_KEY = text
    assert mirror_key_errors() == [CHECK_MIRROR_KEY]


@pytest.mark.parametrize("text", ["", "  ", public(SigningKey.generate())])
def test_an_empty_or_good_environment_key_passes(settings, text):
    settings.PARLEY_MIRROR_KEY = text
    assert mirror_key_errors() == []
