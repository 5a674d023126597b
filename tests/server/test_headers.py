"""Security headers on every response, and templates that a strict CSP can serve.

Requests go through the ASGI application (parley.asgi), not Django's test client, so
that static files, which are answered before Django's middleware, are checked too.
"""

import json
from html.parser import HTMLParser
from pathlib import Path

import pytest
from asgiref.testing import ApplicationCommunicator

from parley.asgi import application

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = sorted((ROOT / "templates").rglob("*.html"))

CSP_DIRECTIVES = {
    "default-src": ["'self'"],
    "script-src": ["'self'", "'wasm-unsafe-eval'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:", "blob:"],
    "media-src": ["'self'", "blob:"],
    "connect-src": ["'self'"],
    "worker-src": ["'self'"],
    "manifest-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'none'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}
PAGE_HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "cross-origin-opener-policy": "same-origin",
    "x-frame-options": "DENY",
}


async def get(path: str) -> tuple[int, dict[str, str], bytes]:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": [(b"host", b"127.0.0.1")],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }
    app = ApplicationCommunicator(application, scope)
    await app.send_input({"type": "http.request", "body": b""})
    start = await app.receive_output(timeout=5)
    body = b""
    while True:
        message = await app.receive_output(timeout=5)
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    headers = {}
    for name, value in start["headers"]:
        assert name.lower().decode() not in headers, f"{name} sent twice"
        headers[name.lower().decode()] = value.decode()
    return start["status"], headers, body


def parse_csp(policy: str) -> dict[str, list[str]]:
    directives = {}
    for part in policy.split(";"):
        name, *sources = part.split()
        assert name not in directives, f"{name} given twice"
        directives[name] = sources
    return directives


def assert_page_headers(headers: dict[str, str]) -> None:
    csp = parse_csp(headers["content-security-policy"])
    assert csp == CSP_DIRECTIVES
    sources = [source for values in csp.values() for source in values]
    assert "'unsafe-inline'" not in sources and "'unsafe-eval'" not in sources
    assert not [s for s in sources if s.startswith(("http:", "https:", "ws:", "wss:", "*"))]
    for name, value in PAGE_HEADERS.items():
        assert headers[name] == value, name
    policy = dict(
        (feature.strip(), allow.strip())
        for feature, allow in (item.split("=") for item in headers["permissions-policy"].split(","))
    )
    for feature in ("camera", "microphone", "display-capture"):
        assert policy[feature] == "(self)", feature
    assert all(allow in ("(self)", "()") for allow in policy.values()), policy


@pytest.mark.parametrize(
    ("path", "status"),
    [("/", 200), ("/no-such-page", 404), ("/static/no-such-file.js", 404)],
)
async def test_html_responses_carry_every_security_header(path, status):
    got, headers, _ = await get(path)
    assert got == status
    assert headers["content-type"] == "text/html; charset=utf-8"
    assert_page_headers(headers)


@pytest.mark.parametrize(
    ("path", "content_type"),
    [("/static/app/main.js", "text/javascript"), ("/static/app/style.css", "text/css")],
)
async def test_static_files_carry_nosniff_and_their_real_type(path, content_type):
    status, headers, body = await get(path)
    assert status == 200 and body
    assert headers["content-type"].split(";")[0] == content_type
    assert_page_headers(headers)


class InlineCodeFinder(HTMLParser):
    """Collects what a CSP without 'unsafe-inline' would block, with line numbers."""

    # Data blocks, which no browser runs. An import map is not one: CSP treats it as
    # inline script.
    JSON_TYPES = {"application/json", "application/ld+json"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self.script: dict | None = None

    def handle_starttag(self, tag, attrs):
        line = self.getpos()[0]
        attributes = dict(attrs)
        for name, _ in attrs:
            if name.startswith("on") or name == "style":
                self.found.append(f"line {line}: {name}= on <{tag}>")
        if tag == "style":
            self.found.append(f"line {line}: <style> element")
        if tag == "script":
            self.script = {"line": line, "attrs": attributes, "text": ""}

    def handle_data(self, data):
        if self.script is not None:
            self.script["text"] += data

    def handle_endtag(self, tag):
        if tag == "script" and self.script is not None:
            script, self.script = self.script, None
            kind = (script["attrs"].get("type") or "").lower()
            text = script["text"].strip()
            if "src" not in script["attrs"] and kind not in self.JSON_TYPES:
                self.found.append(f"line {script['line']}: inline <script>")
            elif "src" not in script["attrs"] and not is_json_or_template(text):
                self.found.append(f"line {script['line']}: JSON <script> that is not JSON")
            elif "src" in script["attrs"] and text:
                self.found.append(f"line {script['line']}: <script src> with a body")


def is_json_or_template(text: str) -> bool:
    if "{{" in text or "{%" in text:
        return True  # filled in by the template engine (json_script escapes it)
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def inline_code(html: str) -> list[str]:
    finder = InlineCodeFinder()
    finder.feed(html)
    finder.close()
    return finder.found


def test_the_finder_finds_what_it_looks_for():
    html = """<div onclick="x()" style="color:red"><style>p{}</style>
    <script>alert(1)</script><script src="a.js">b()</script>
    <script type="application/json">{"ok": true}</script><script src="ok.js"></script>
    <svg><a ONLOAD="y()"></a></svg><script type="importmap">{}</script>
    <script type="application/json">alert(1)</script>"""
    assert inline_code(html) == [
        "line 1: onclick= on <div>",
        "line 1: style= on <div>",
        "line 1: <style> element",
        "line 2: inline <script>",
        "line 2: <script src> with a body",
        "line 4: onload= on <a>",
        "line 4: inline <script>",
        "line 5: JSON <script> that is not JSON",
    ]


def test_there_are_templates_to_check():
    assert TEMPLATES, "no templates found"


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: p.name)
def test_templates_have_no_inline_script_handlers_or_styles(template):
    assert inline_code(template.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize("path", ["/", "/no-such-page"])
async def test_rendered_pages_have_no_inline_script_handlers_or_styles(path):
    # Template tags can write markup the template source does not show.
    _, _, body = await get(path)
    assert inline_code(body.decode("utf-8")) == []
