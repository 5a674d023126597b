"""The floor: the thinnest relay of Parley's protocol on the same ASGI stack.

An ASGI app (run on uvicorn by bench/signaling/servers.py) that speaks just enough of
docs/protocol.md §3 for the benchmark's clients: `hello` gets a `welcome` with an id and
unlimited rates, `join` an empty `peers`, `ping` a `pong`, and a `signal` goes to the
connection of that id in the sender's own task. It checks nothing (no schema, size,
rate limit, topic or origin) and is never served to users: it shows what uvicorn, its
WebSocket layer and asyncio cost by themselves, so that the benchmark can say how much of
Parley's cost per relay is Parley's.
"""

import base64
import json
import os

_senders = {}  # connection id -> that connection's ASGI send
_UNLIMITED = {"rate_per_second": 1e9, "burst": 1e9}


async def app(scope, receive, send) -> None:
    if scope["type"] != "websocket":
        return
    await receive()  # websocket.connect
    await send({"type": "websocket.accept"})
    me = base64.urlsafe_b64encode(os.urandom(16)).rstrip(b"=").decode()
    _senders[me] = send
    try:
        while True:
            message = await receive()
            if message["type"] != "websocket.receive":
                return
            frame = json.loads(message["text"])
            kind = frame["type"]
            if kind == "signal":
                other = _senders.get(frame["to"])
                if other is not None:
                    out = {"type": "signal", "topic": frame["topic"], "from": me}
                    out["blob"] = frame["blob"]
                    await other({"type": "websocket.send", "text": json.dumps(out)})
            elif kind == "hello":
                reply = {"type": "welcome", "v": 1, "id": me, "limits": _UNLIMITED}
                await send({"type": "websocket.send", "text": json.dumps(reply)})
            elif kind == "join":
                reply = {"type": "peers", "topic": frame["topic"], "peers": []}
                await send({"type": "websocket.send", "text": json.dumps(reply)})
            elif kind == "ping":
                await send({"type": "websocket.send", "text": '{"type":"pong"}'})
    finally:
        _senders.pop(me, None)
