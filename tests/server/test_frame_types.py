"""The frame types, error codes and close codes exist once per language and in the docs.

docs/protocol.md is the contract; signal_server/frames.py and
static/app/signaling/frames.js must list the same frame types, in the same order.
"""

import re
from pathlib import Path

from signal_server import frames

ROOT = Path(__file__).resolve().parents[2]
PROTOCOL = (ROOT / "docs" / "protocol.md").read_text(encoding="utf-8")
FRAMES_JS = (ROOT / "static" / "app" / "signaling" / "frames.js").read_text(encoding="utf-8")


def documented_frame_types() -> dict[str, list[str]]:
    table = re.search(
        r"<!-- frame-types:begin -->\n(.*?)<!-- frame-types:end -->", PROTOCOL, re.DOTALL
    )
    assert table, "frame-types markers not found in docs/protocol.md"
    types: dict[str, list[str]] = {"C->S": [], "S->C": []}
    rows = [line for line in table.group(1).splitlines() if line.startswith("|")]
    assert rows[0].split("|")[1:3] == [" direction ", " type "]
    for row in rows[2:]:  # after the header and its |---| line
        direction, kind = (cell.strip() for cell in row.split("|")[1:3])
        types[direction].append(kind.strip("`"))
    return types


def js_list(name: str) -> list[str]:
    found = re.search(rf"export const {name} = Object\.freeze\(\[(.*?)\]\);", FRAMES_JS, re.DOTALL)
    assert found, f"{name} not found in frames.js"
    return re.findall(r"'([a-z_-]+)'", found.group(1))


def documented_table(heading: str) -> list[str]:
    """First column of the table under a `### heading` of docs/protocol.md."""
    section = PROTOCOL.split(f"### {heading}\n", 1)[1].split("\n#", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("|")][2:]
    return [row.split("|")[1].strip().strip("`") for row in rows]


def test_docs_table_matches_python():
    documented = documented_frame_types()
    assert documented["C->S"] == list(frames.CLIENT_FRAME_TYPES)
    assert documented["S->C"] == list(frames.SERVER_FRAME_TYPES)


def test_javascript_lists_match_python():
    assert js_list("CLIENT_FRAME_TYPES") == list(frames.CLIENT_FRAME_TYPES)
    assert js_list("SERVER_FRAME_TYPES") == list(frames.SERVER_FRAME_TYPES)
    version = re.search(r"export const PROTOCOL_VERSION = (\d+);", FRAMES_JS)
    assert version and int(version.group(1)) == frames.PROTOCOL_VERSION


def test_error_codes_match_the_docs():
    assert documented_table("Errors") == list(frames.ERROR_CODES)


def test_close_codes_match_the_docs():
    documented = [code for code in documented_table("Close codes") if code.isdigit()]
    assert [int(code) for code in documented] == list(frames.CLOSE_CODES)
