"""A cap on HTTP request bodies, enforced before Django reads them.

Django's ASGI handler reads a whole request body (spooling it to disk past a size)
before any view can refuse it, so a client could make the server store megabytes for a
request that ends in 413 anyway. Parley's only HTTP inputs are small JSON bodies
(docs/protocol.md §10), so every body is capped here: by `Content-Length` when the
client states one, and by counting the bytes as they arrive when it does not.
"""

import json

TOO_LARGE_BODY = json.dumps(
    {"error": "too_large", "message": "request bodies are limited in size"}
).encode()


class LimitRequestBody:
    def __init__(self, application, max_bytes: int):
        self.application = application
        self.max_bytes = max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.application(scope, receive, send)
        if self._declared_length(scope) > self.max_bytes:
            return await self._refuse(send)

        received = 0
        refused = False

        async def counting_receive():
            nonlocal received, refused
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    refused = True
                    # Django sees a client that went away and answers nothing.
                    return {"type": "http.disconnect"}
            return message

        response_started = False

        async def tracking_send(message):
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        await self.application(scope, counting_receive, tracking_send)
        if refused and not response_started:
            await self._refuse(send)

    @staticmethod
    def _declared_length(scope) -> int:
        for name, value in scope.get("headers", []):
            if name.lower() == b"content-length":
                try:
                    return int(value)
                except ValueError:
                    return 0
        return 0

    @staticmethod
    async def _refuse(send):
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(TOO_LARGE_BODY)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": TOO_LARGE_BODY})
