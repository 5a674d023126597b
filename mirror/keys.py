"""The mirror service's key (docs/protocol.md §12): its identity on every link, and what
requests are sealed to. The seed lives in `<PARLEY_DATA_DIR>/mirror.key` (base64url,
mode 0600), made on first start; the public half is written beside it in `mirror.pub`,
where the rendezvous server reads it (PARLEY_MIRROR_KEY_FILE) unless PARLEY_MIRROR_KEY
names it. The server never reads the seed: it could open every request if it did.
"""

import os
from pathlib import Path

from nacl.signing import SigningKey

from parley_peer.encoding import b64url_decode, b64url_encode

SEED_FILE_NAME = "mirror.key"
SEED_BYTES = 32


class MirrorKeyError(Exception):
    pass


def load_or_create(seed_path: Path, public_path: Path) -> SigningKey:
    if seed_path.exists():
        try:
            key = SigningKey(b64url_decode(seed_path.read_text().strip(), SEED_BYTES))
        except Exception as error:
            raise MirrorKeyError(f"{seed_path} is not a mirror key") from error
    else:
        key = SigningKey.generate()
        seed_path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(seed_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as seed_file:
            seed_file.write(b64url_encode(bytes(key)) + "\n")
    public = b64url_encode(bytes(key.verify_key)) + "\n"
    if not public_path.exists() or public_path.read_text() != public:
        public_path.parent.mkdir(parents=True, exist_ok=True)
        temporary = public_path.with_suffix(".tmp")
        temporary.write_text(public)
        temporary.replace(public_path)
    return key
