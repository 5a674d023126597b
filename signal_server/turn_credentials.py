"""Short-lived TURN credentials by the TURN REST scheme (coturn's `use-auth-secret`).

The server and coturn share one secret (PARLEY_TURN_SECRET, coturn's
`static-auth-secret`) and nothing else: no user list, no database. A credential is

    username   = "<expiry unix time>:<opaque id>"
    credential = base64(HMAC-SHA1(secret, username))

coturn recomputes the HMAC from the username a client presents, and refuses it once the
expiry has passed, so a credential needs no revocation and a leaked one dies on its own.
The opaque id is random per credential: it names neither the identity nor the connection,
so coturn's logs cannot tie a relay to a person. (This is the scheme of
draft-uberti-behave-turn-rest, the one coturn implements; HMAC-SHA1 is what coturn
checks, and an HMAC, not a bare hash, so SHA-1's collisions do not matter here.)
"""

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass

# 16 random bytes: no two credentials share an id, and the id carries nothing else.
OPAQUE_ID_BYTES = 16


@dataclass(frozen=True, slots=True)
class TurnCredential:
    username: str
    credential: str
    expires: int  # unix time, seconds


def credential_for(secret: str, username: str) -> str:
    """base64(HMAC-SHA1(secret, username)), the password coturn expects for `username`."""
    digest = hmac.new(secret.encode("utf-8"), username.encode("utf-8"), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def mint(secret: str, ttl_seconds: int, now: float) -> TurnCredential:
    """A fresh credential valid for `ttl_seconds` from `now` (unix time)."""
    expires = int(now) + ttl_seconds
    opaque = base64.urlsafe_b64encode(secrets.token_bytes(OPAQUE_ID_BYTES)).rstrip(b"=")
    username = f"{expires}:{opaque.decode('ascii')}"
    return TurnCredential(username, credential_for(secret, username), expires)
