"""Connection keys chosen, not drawn, for tests that need one end of a link to sort first.

Which end of a link dials again is fixed by the connection keys (docs/protocol.md §6,
"Dialling again": the end whose key sorts first). A browser draws its key when its
rendezvous socket opens; a test reads it from the `hello` the page sent
(``User.connection_key()``) and gives the Python peer a key that sorts before it::

    key = connection_key_sorting_before(ada.connection_key())
    monty = python_peer(link, "Monty", connection_key=key)

The search walks a fixed sequence of private keys, so it returns the same key for the
same bound every time and cannot fail: it ends at the first key below the bound (on
average after 1/p keys, p being the bound's place between 0 and 2^256; a few for a
drawn bound).
"""

import hashlib

from nacl.public import PrivateKey

KEY_BYTES = 32
SEED_CONTEXT = b"parley-e2e-connection-key"


def candidate_key(index: int) -> PrivateKey:
    return PrivateKey(hashlib.sha256(SEED_CONTEXT + index.to_bytes(8, "big")).digest())


def connection_key_sorting_before(bound: bytes) -> PrivateKey:
    """The first key of the fixed sequence whose public key sorts before ``bound``."""
    if len(bound) != KEY_BYTES or not any(bound):
        raise ValueError("expected a 32-byte public key that is not all zero")
    index = 0
    while True:
        key = candidate_key(index)
        if key.public_key.encode() < bound:
            return key
        index += 1
