"""Device certificates (docs/protocol.md §13 "Device certificate"): an identity vouches
for one of its devices' signing keys. The twin of static/app/devices/device-cert.js.

    cert = certify_device(identity_signing_key, device_key, created)   # 64 bytes
    device_cert_verifies(identity_key, device_key, created, cert)      # -> bool

`cert` is the Ed25519 signature by the identity key over
b"parley-device-v1" ‖ device key (32 bytes) ‖ u64be(created).
"""

import nacl.exceptions
from nacl.signing import SigningKey, VerifyKey

CONTEXT = b"parley-device-v1"
KEY_BYTES = 32
CERT_BYTES = 64
MAX_CREATED = 2**53 - 1  # a JavaScript safe integer, as the browser checks it


def _certified(device: bytes, created: int) -> bytes:
    return CONTEXT + device + created.to_bytes(8, "big")


def certify_device(identity: SigningKey, device: bytes, created: int) -> bytes:
    if len(device) != KEY_BYTES or not 0 <= created <= MAX_CREATED:
        raise ValueError("a device key is 32 bytes, created 0..2^53 - 1")
    return identity.sign(_certified(device, created)).signature


def device_cert_verifies(identity: bytes, device: bytes, created: int, cert: bytes) -> bool:
    """The certificate is `identity`'s of `device`, made at `created` (ms)."""
    if len(identity) != KEY_BYTES or len(device) != KEY_BYTES or len(cert) != CERT_BYTES:
        return False
    if isinstance(created, bool) or not isinstance(created, int):
        return False
    if not 0 <= created <= MAX_CREATED:
        return False
    try:
        VerifyKey(identity).verify(_certified(device, created), cert)
    except (nacl.exceptions.BadSignatureError, nacl.exceptions.CryptoError, ValueError):
        return False
    return True
