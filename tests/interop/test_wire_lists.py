"""The peer-to-peer wire lists exist once per language and agree with docs/protocol.md.

docs/protocol.md is the contract. Its tables between `<!-- name:begin -->` and
`<!-- name:end -->` markers list the data-channel frames and call actions (§6), the
entry types and the reasons an entry is refused (§7), and the file-channel messages
(§11); the browser client (read by running wire_lists.mjs under node) and parley_peer
must list the same, in the same order. tests/server/test_frame_types.py does the same
for the rendezvous frames.
"""

import json
import re
import subprocess
from functools import cache
from pathlib import Path

from parley_peer import data_frames, entry, files

ROOT = Path(__file__).resolve().parents[2]
PROTOCOL = (ROOT / "docs" / "protocol.md").read_text(encoding="utf-8")
WIRE_LISTS_JS = Path(__file__).with_name("wire_lists.mjs")


@cache
def browser_lists() -> dict:
    done = subprocess.run(
        ["node", str(WIRE_LISTS_JS)], capture_output=True, text=True, cwd=ROOT, check=False
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def marked_table(name: str) -> list[list[str]]:
    """The body rows of the table between the markers, as lists of stripped cells."""
    found = re.search(rf"<!-- {name}:begin -->\n(.*?)<!-- {name}:end -->", PROTOCOL, re.DOTALL)
    assert found, f"{name} markers not found in docs/protocol.md"
    rows = [line for line in found.group(1).splitlines() if line.startswith("|")]
    assert re.fullmatch(r"\|(---\|)+", rows[1]), f"{name}: the second row is not |---|"
    return [[cell.strip() for cell in row.split("|")[1:-1]] for row in rows[2:]]


def names_in(cell: str) -> list[str]:
    """`heads`, `want`, `entries` -> ['heads', 'want', 'entries']."""
    names = re.findall(r"`([^`]+)`", cell)
    assert names, f"no `name` in the cell {cell!r}"
    return names


def first_column(name: str) -> list[str]:
    return [kind for row in marked_table(name) for kind in names_in(row[0])]


def quoted_values(field: str, table: str) -> list[str]:
    """The `"values"` listed for one field of a table: `notify` (`"all"`, …) -> ['all', …]."""
    cells = [cell for row in marked_table(table) for cell in row if f"`{field}` (" in cell]
    assert len(cells) == 1, f"the field {field} is described {len(cells)} times in {table}"
    listed = re.search(rf"`{field}` \(([^)]*)\)", cells[0])
    assert listed
    return re.findall(r'`"([^"`]+)"`', listed.group(1))


def test_data_channel_frames_match_the_browser_and_the_python_peer():
    rows = marked_table("data-frames")
    documented = [(kind, row[-1]) for row in rows for kind in names_in(row[0])]
    assert {known for _, known in documented} <= {"yes", "no"}
    assert [kind for kind, _ in documented] == browser_lists()["dataFrameTypes"]
    in_python = [kind for kind, known in documented if known == "yes"]
    assert in_python == list(data_frames.DATA_FRAME_TYPES)


def test_every_data_channel_table_names_only_listed_frames():
    # §6 calls, §8 replication and ephemeral frames describe some frames in more detail.
    listed = set(first_column("data-frames"))
    headers = re.findall(r"^\| (?:t|frame) \| fields \|.*\n\|-.*\n((?:\|.*\n)+)", PROTOCOL, re.M)
    assert len(headers) >= 4, "the detail tables of §6 and §8 were not found"
    for body in headers:
        for row in body.splitlines():
            assert set(names_in(row.split("|")[1])) <= listed, row


def test_call_actions_match():
    documented = first_column("call-actions")
    assert documented == browser_lists()["callActions"]
    assert documented == list(data_frames.CALL_ACTIONS)
    call_row = next(row for row in marked_table("data-frames") if row[0] == "`call`")
    listed_in_frame_row = re.search(r"`action` \(([^)]*)\)", call_row[1])
    assert listed_in_frame_row
    assert names_in(listed_in_frame_row.group(1)) == documented


def test_entry_types_match():
    documented = first_column("entry-types")
    assert documented == browser_lists()["entryTypes"]
    assert documented == list(entry.ENTRY_TYPES)


def test_entry_reject_codes_match():
    # The reasons of §7's receiver checks, each the first time it appears.
    documented = list(dict.fromkeys(names_in(row[2])[0] for row in marked_table("entry-checks")))
    assert documented == browser_lists()["entryRejectCodes"]
    assert documented == list(entry.ENTRY_REJECT_CODES)


def test_entry_field_values_match():
    assert quoted_values("event", "entry-types") == browser_lists()["callEvents"]
    assert quoted_values("event", "entry-types") == list(entry.CALL_EVENTS)
    assert quoted_values("notify", "entry-types") == browser_lists()["notifyLevels"]
    assert quoted_values("notify", "entry-types") == list(entry.MAILBOX_NOTIFY_LEVELS)


def file_frame_bytes(kind: str) -> bytes:
    """The smallest valid message of a type, as parley_peer encodes it."""
    fields = {
        "have": {"first": 0, "bits": b"\x01"},
        "want": {"first": 0, "count": 1},
        "chunk": {"index": 0, "ciphertext": bytes(files.MIN_CHUNK_CIPHERTEXT)},
        "lack": {"index": 0},
    }.get(kind, {})
    return files.encode_file_frame(files.FileFrame(type=kind, root=bytes(32), **fields))


def test_file_channel_messages_match():
    documented = {names_in(row[1])[0]: int(row[0]) for row in marked_table("file-frames")}
    assert documented == browser_lists()["fileFrameCodes"]
    assert list(documented) == list(browser_lists()["fileFrameCodes"])
    assert list(documented) == list(files.FILE_FRAME_TYPES)
    assert {kind: file_frame_bytes(kind)[0] for kind in files.FILE_FRAME_TYPES} == documented
