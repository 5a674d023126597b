"""A file offered in chunk format 2 (AES-256-GCM, SHA-256: docs/protocol.md §11) by a
client that offers it, here a Python peer, downloads in a browser byte for byte. This
version's browsers still offer format 1 ("Rolling out a format"), which every other
file test covers."""

import hashlib
import os
import time

from e2e.test_files import CHUNK, card, expect_done, save
from e2e.test_python_peer import LINK_TIMEOUT_S
from parley_peer.encoding import b64url_encode


def test_a_format_2_offer_downloads_byte_for_byte(new_user, python_peer, tmp_path):
    ada = new_user("Ada")
    link = ada.create_room("Formats")
    with python_peer(link, "Monty") as monty:
        monty.wait_ready(1, timeout=LINK_TIMEOUT_S)
        ada.wait_for_peers(1)
        data = os.urandom(3 * CHUNK + 4321)
        key = os.urandom(32)
        held = monty.hold_file(data, key, version=2)
        now = time.time_ns() // 1_000_000
        join = monty.make_entry({"type": "join", "ts": now, "clock": 1, "name": "Monty"}, seq=0)
        offer = {
            "type": "file",
            "ts": now,
            "clock": 2,
            "name": "v2.bin",
            "size": len(data),
            "mime": "",
            "chunk": CHUNK,
            "root": b64url_encode(held.root),
            "key": b64url_encode(key),
            "format": 2,
        }
        entry = monty.make_entry(offer, seq=1, prev=join.id)
        monty.send_entries([join, entry])
        expect_done(ada, "v2.bin", timeout=60_000)
        assert card(ada, "v2.bin").get_attribute("data-rejected") == "0"
        assert save(ada, "v2.bin", tmp_path) == hashlib.sha256(data).hexdigest()
