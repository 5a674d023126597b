"""HTTP bodies over the cap are refused before the application reads them."""

import json

from parley.asgi import application
from signal_server.request_limits import LimitRequestBody


def http_scope(path="/push/subscription", headers=()):
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1"), *headers],
        "client": ("127.0.0.1", 40000),
        "server": ("127.0.0.1", 8000),
    }


async def call(app, scope, chunks):
    """Run one request through `app`; return (status, body, chunks the app read)."""
    pending = [
        {"type": "http.request", "body": chunk, "more_body": i < len(chunks) - 1}
        for i, chunk in enumerate(chunks)
    ]
    read = []
    sent = []

    async def receive():
        if pending:
            message = pending.pop(0)
            read.append(message)
            return message
        return {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    await app(scope, receive, send)
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], body, read


class Recorder:
    """An inner application that reads the whole body and answers 200."""

    def __init__(self):
        self.bodies = []

    async def __call__(self, scope, receive, send):
        body = b""
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        self.bodies.append(body)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})


async def test_a_declared_length_over_the_cap_is_refused_unread():
    inner = Recorder()
    scope = http_scope(headers=[(b"content-length", b"2000")])
    status, body, read = await call(LimitRequestBody(inner, 1000), scope, [b"x" * 2000])
    assert status == 413
    assert json.loads(body)["error"] == "too_large"
    assert read == []
    assert inner.bodies == []


async def test_an_undeclared_body_is_cut_off_once_it_passes_the_cap():
    inner = Recorder()
    chunks = [b"x" * 600, b"x" * 600, b"x" * 600]
    status, _, read = await call(LimitRequestBody(inner, 1000), http_scope(), chunks)
    assert status == 413
    assert len(read) == 2  # the third chunk was never asked for
    assert inner.bodies == []


async def test_a_body_within_the_cap_passes_whole():
    inner = Recorder()
    chunks = [b"a" * 500, b"b" * 500]
    status, body, _ = await call(LimitRequestBody(inner, 1000), http_scope(), chunks)
    assert (status, body) == (200, b"ok")
    assert inner.bodies == [b"a" * 500 + b"b" * 500]


async def test_the_served_application_caps_bodies(settings):
    # The app shell would answer a POST with 405 after reading it; the cap answers first.
    big = b"x" * (settings.PARLEY_MAX_REQUEST_BODY_BYTES + 1)
    scope = http_scope(path="/")
    status, body, _ = await call(application, scope, [big])
    assert status == 413
    assert json.loads(body)["error"] == "too_large"
