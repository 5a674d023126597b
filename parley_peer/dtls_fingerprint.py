"""The DTLS certificate check of docs/protocol.md §6, as static/app/peers/dtls-fingerprint.js
has it: compare the certificate the peer presented with the fingerprint it signed inside a
verified envelope. Fingerprints are lowercase hex of SHA-256 over the DER certificate.
"""

import hashlib
import logging
import re

from aiortc import RTCPeerConnection
from cryptography.hazmat.primitives.serialization import Encoding

_FINGERPRINT = re.compile(r"^a=fingerprint:sha-256 ([0-9A-Fa-f:]+)\s*$", re.MULTILINE)
logger = logging.getLogger(__name__)


def sdp_fingerprint(sdp: str | None) -> str | None:
    """The sha-256 fingerprint of an SDP as lowercase hex without colons, or None."""
    match = _FINGERPRINT.search(sdp or "")
    return match.group(1).replace(":", "").lower() if match else None


def remote_certificate_fingerprint(pc: RTCPeerConnection) -> str | None:
    """SHA-256 of the DER certificate the remote side presented in the DTLS handshake.

    aiortc has no getRemoteCertificates(); its DTLS transport keeps the pyOpenSSL
    connection in the private ``_ssl``. Anything missing on the way reads as
    "unavailable", which closes the link rather than skipping the check.
    """
    transport = pc.sctp.transport if pc.sctp is not None else None
    ssl = getattr(transport, "_ssl", None)
    try:
        certificate = ssl.get_peer_certificate(as_cryptography=True) if ssl else None
    except Exception:  # an API change in aiortc or pyOpenSSL must fail closed
        logger.exception("cannot read the remote DTLS certificate")
        return None
    if certificate is None:
        return None
    return hashlib.sha256(certificate.public_bytes(Encoding.DER)).hexdigest()
