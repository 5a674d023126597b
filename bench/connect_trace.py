"""A timeline of one connection, for `python -m bench.connect --trace`.

TRACE_JS (connect_trace.js) wraps the page's WebSocket, RTCPeerConnection and
RTCDataChannel.send and notes when each step happens (performance.now(), ms since the
page's navigation start); print_trace merges the joining page's and the inviter's lines
on one clock, with the page's arrival, its scripts and the app's own performance marks.
"""

from pathlib import Path

TRACE_JS = (Path(__file__).resolve().parent / "connect_trace.js").read_text()

NAVIGATION_JS = "() => performance.getEntriesByType('navigation')[0].toJSON()"
RESOURCES_JS = """() => performance.getEntriesByType('resource').map((entry) => ({
  name: entry.name, start: entry.startTime, end: entry.responseEnd,
}))"""
MARKS_JS = "() => performance.getEntriesByType('mark').map((m) => [m.startTime, m.name])"


def print_trace(page, inviter_page, label: str, end: tuple[str, str]) -> None:
    """`end` is the page's global that holds when the clock stopped, and its label."""
    origin = page.evaluate("performance.timeOrigin")
    shift = inviter_page.evaluate("performance.timeOrigin") - origin
    lines = [(t, "joiner ", what) for t, what in page.evaluate("window.benchTrace")]
    lines += [
        (t + shift, "inviter", what) for t, what in inviter_page.evaluate("window.benchTrace")
    ]
    lines = [line for line in lines if line[0] >= 0]
    lines.append((page.evaluate(NAVIGATION_JS)["responseEnd"], "joiner ", "page received"))
    scripts = [r for r in page.evaluate(RESOURCES_JS) if r["name"].endswith(".js")]
    if scripts:
        first = min(r["start"] for r in scripts)
        lines.append((first, "joiner ", f"first of {len(scripts)} scripts asked"))
        lines.append((max(r["end"] for r in scripts), "joiner ", "last script in"))
    lines += [(t, "joiner ", f"mark {name}") for t, name in page.evaluate(MARKS_JS)]
    lines.append((page.evaluate(f"window.{end[0]}"), "joiner ", end[1]))
    print(f"--- trace of a {label} visit (ms since the joining page's navigation start)")
    for t, who, what in sorted(lines):
        print(f"  {t:7.0f}  {who}  {what}")
