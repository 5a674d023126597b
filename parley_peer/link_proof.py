"""Link proof (docs/protocol.md §6, "Link authentication").

The envelopes prove who sent an SDP; the proof in `hello` proves that identity is at
*this* end of the DTLS connection, so a member cannot re-sign two others' handshakes and
sit between them. Fingerprints are the SHA-256 of the DER certificates, here as hex.
"""

import nacl.exceptions
from nacl.signing import SigningKey, VerifyKey

_CONTEXT = b"parley-link-v1"
PROOF_BYTES = 64


def _proven(discovery_key: bytes, sender_fingerprint: str, receiver_fingerprint: str) -> bytes:
    return (
        _CONTEXT
        + discovery_key
        + bytes.fromhex(sender_fingerprint)
        + bytes.fromhex(receiver_fingerprint)
    )


def sign_link_proof(
    identity: SigningKey, discovery_key: bytes, local_fingerprint: str, remote_fingerprint: str
) -> bytes:
    return identity.sign(_proven(discovery_key, local_fingerprint, remote_fingerprint)).signature


def verify_link_proof(
    proof: bytes,
    peer_identity: bytes,
    discovery_key: bytes,
    local_fingerprint: str,
    remote_fingerprint: str,
) -> bool:
    """The peer signed (its certificate, ours); from here that is (remote, local)."""
    try:
        VerifyKey(peer_identity).verify(
            _proven(discovery_key, remote_fingerprint, local_fingerprint), proof
        )
    except (nacl.exceptions.CryptoError, ValueError):
        return False
    return True
