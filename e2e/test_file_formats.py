"""A file offered in chunk format 2 (AES-256-GCM, SHA-256: docs/protocol.md §11) by a
client that offers it, here a Python peer, downloads in a browser byte for byte. This
version's browsers still offer format 1 ("Rolling out a format"), which every other
file test covers. An offer in a format a later version defines is kept and shown as such."""

import hashlib
import os
import time

from playwright.sync_api import expect

from e2e.test_files import CHUNK, card, expect_done, save
from e2e.test_python_peer import LINK_TIMEOUT_S
from parley_peer.encoding import b64url_encode


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def join_and_offer(monty, name: str, size: int, root: bytes, key: bytes, *, version: int):
    """Monty's `join` (clock 1) and his `file` entry (clock 2) offering `size` bytes under
    `root` and `key` in chunk format `version`."""
    now = now_ms()
    join = monty.make_entry({"type": "join", "ts": now, "clock": 1, "name": "Monty"}, seq=0)
    offer = {
        "type": "file",
        "ts": now,
        "clock": 2,
        "name": name,
        "size": size,
        "mime": "",
        "chunk": CHUNK,
        "root": b64url_encode(root),
        "key": b64url_encode(key),
        "format": version,
    }
    return join, monty.make_entry(offer, seq=1, prev=join.id)


def test_a_format_2_offer_downloads_byte_for_byte(new_user, python_peer, tmp_path):
    ada = new_user("Ada")
    link = ada.create_room("Formats")
    with python_peer(link, "Monty") as monty:
        monty.wait_ready(1, timeout=LINK_TIMEOUT_S)
        ada.wait_for_peers(1)
        data = os.urandom(3 * CHUNK + 4321)
        key = os.urandom(32)
        held = monty.hold_file(data, key, version=2)
        join, entry = join_and_offer(monty, "v2.bin", len(data), held.root, key, version=2)
        monty.send_entries([join, entry])
        expect_done(ada, "v2.bin", timeout=60_000)
        assert card(ada, "v2.bin").get_attribute("data-rejected") == "0"
        assert save(ada, "v2.bin", tmp_path) == hashlib.sha256(data).hexdigest()


def test_an_offer_in_a_later_format_is_shown_as_needing_a_newer_parley(new_user, python_peer):
    """A `file` entry naming a format this version does not know (docs/protocol.md §11)
    is no misbehaviour: the entry is kept, the author's later entries too, and the card
    says what to do instead of fetching."""
    ada = new_user("Ada")
    link = ada.create_room("Formats")
    with python_peer(link, "Monty") as monty:
        monty.wait_ready(1, timeout=LINK_TIMEOUT_S)
        ada.wait_for_peers(1)
        join, entry = join_and_offer(
            monty, "later.bin", 3 * CHUNK, os.urandom(32), os.urandom(32), version=3
        )
        after = monty.make_entry(
            {"type": "message", "ts": now_ms(), "clock": 3, "text": "and after it"},
            seq=2,
            prev=entry.id,
        )
        monty.send_entries([join, entry, after])
        ada.expect_message("and after it", author="Monty")
        later = card(ada, "later.bin")
        expect(later).to_have_attribute("data-state", "failed")
        expect(later.get_by_test_id("file-status")).to_have_text(
            "Sent from a newer version of Parley: update Parley (reload the page) to get it."
        )
        expect(later.get_by_test_id("file-download")).to_have_count(0)
        expect(later.get_by_test_id("file-retry")).to_have_count(0)
        expect(later.get_by_test_id("file-progress")).to_be_hidden()
        ada.wait_for_peers(1)
        expect(ada.page.get_by_test_id("peer-warning")).to_have_count(0)
