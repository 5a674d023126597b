"""`manage.py vapid_keys` and the VAPID key the server uses (docs/deployment.md, "Push")."""

import io
import stat

import pytest
from cryptography.hazmat.primitives import serialization
from django.core.management import CommandError, call_command

from signal_server.push import vapid

from .wire import unb64


@pytest.fixture
def data_dir(settings, tmp_path):
    settings.PARLEY_DATA_DIR = tmp_path / "data"
    settings.PARLEY_VAPID_PRIVATE_KEY = ""
    return settings.PARLEY_DATA_DIR


def run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("vapid_keys", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def public_key_of_file(path) -> str:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    return vapid.public_key_b64(key)


def test_the_command_creates_a_key_file_only_its_owner_can_read(data_dir):
    out, _ = run()
    path = data_dir / "vapid_private.pem"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(data_dir.stat().st_mode) & 0o077 == 0
    # stdout is the public key alone: 65 bytes, an uncompressed P-256 point.
    assert out == public_key_of_file(path) + "\n"
    assert len(unb64(out.strip())) == 65
    assert vapid.public_key_b64(vapid.current_key()) == out.strip()
    assert "PRIVATE" not in out and "PARLEY_VAPID_PRIVATE_KEY" not in out
    assert not [p for p in data_dir.iterdir() if p.name != "vapid_private.pem"]


def test_an_existing_key_is_kept_unless_forced(data_dir):
    first, _ = run()
    path = data_dir / "vapid_private.pem"
    pem = path.read_bytes()
    with pytest.raises(CommandError, match="exists"):
        run()
    assert run("--if-missing")[0] == first
    assert path.read_bytes() == pem
    replaced, _ = run("--force")
    assert replaced != first
    assert public_key_of_file(path) == replaced.strip()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    # The server uses the new key at once: the cache follows the file.
    assert vapid.public_key_b64(vapid.current_key()) == replaced.strip()


def test_the_private_key_is_printed_only_when_asked_and_works_from_the_environment(
    data_dir, settings
):
    out, _ = run("--show-private")
    public, line = out.splitlines()
    name, _, private = line.partition("=")
    assert name == "PARLEY_VAPID_PRIVATE_KEY" and len(unb64(private)) == 32
    settings.PARLEY_VAPID_PRIVATE_KEY = private
    (data_dir / "vapid_private.pem").unlink()
    assert vapid.public_key_b64(vapid.current_key()) == public


def test_the_environment_key_overrides_the_file(data_dir, settings):
    file_public, _ = run()
    env_key = vapid.generate_key()
    settings.PARLEY_VAPID_PRIVATE_KEY = vapid.private_key_b64(env_key)
    env_public = vapid.public_key_b64(env_key)
    assert vapid.public_key_b64(vapid.current_key()) == env_public != file_public.strip()
    out, err = run("--if-missing")
    assert out.strip() == env_public and "PARLEY_VAPID_PRIVATE_KEY is set" in err
    with pytest.raises(CommandError):
        run("--force")
    assert public_key_of_file(data_dir / "vapid_private.pem") == file_public.strip()


def test_with_the_environment_key_the_command_writes_no_file(data_dir, settings):
    settings.PARLEY_VAPID_PRIVATE_KEY = vapid.private_key_b64(vapid.generate_key())
    run()
    assert not data_dir.exists()


def test_the_environment_may_hold_a_pem(data_dir, settings):
    key = vapid.generate_key()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    settings.PARLEY_VAPID_PRIVATE_KEY = pem
    assert vapid.public_key_b64(vapid.current_key()) == vapid.public_key_b64(key)


@pytest.mark.parametrize(
    "value",
    [
        "not a key",
        "AAAA",  # 3 bytes
        "A" * 43,  # 32 zero bytes: not a valid scalar
        "_" * 43,  # above the group order
        "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----",
    ],
)
def test_an_unusable_environment_key_is_an_error_not_a_silent_fallback(data_dir, settings, value):
    run()  # a good file exists; the bad environment value must not fall back to it
    settings.PARLEY_VAPID_PRIVATE_KEY = value
    with pytest.raises(vapid.VapidKeyError):
        vapid.current_key()
    with pytest.raises(CommandError):
        run("--if-missing")


def test_a_key_of_another_curve_is_refused(data_dir, settings):
    from cryptography.hazmat.primitives.asymmetric import ec

    other = ec.generate_private_key(ec.SECP384R1())
    settings.PARLEY_VAPID_PRIVATE_KEY = other.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    with pytest.raises(vapid.VapidKeyError, match="P-256"):
        vapid.current_key()


def test_no_key_at_all_is_none(data_dir):
    assert vapid.current_key() is None
