"""A WebSocket consumer that reads its socket in its own task, through an inbox.

The transport half of the rendezvous consumer (consumers.py), kept apart from the
protocol: the read loop, the dispatch of every message to its `type`'s handler, and
sends that stay quiet once the client has gone.

    class MyConsumer(InboxWebsocketConsumer):
        def open_inbox(self) -> local_delivery.Inbox: ...   # once, before the first read
        async def shut_down(self) -> None: ...               # once, however the loop ends

The loop replaces Channels' own: its await_many_dispatch waits on the WebSocket and the
channel layer with a new task and an asyncio.wait for every message, a sixth of the
server's time in a relay. Here the WebSocket is read in this task and every message,
the connection's own and other connections' events, goes through the consumer's inbox,
which runs one handler at a time (local_delivery.py).
"""

import asyncio

from channels.consumer import get_handler_name
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer

from signal_server import local_delivery

# What a send raises once the connection is closing or gone (ASGI leaves it to the
# server): daphne's autobahn raises Disconnected (a RuntimeError) between the close and
# the disconnect message; uvicorn an OSError (ClientDisconnected) once the client has gone,
# and a RuntimeError once it closed the connection itself (a frame that is not UTF-8, or
# over its size limit). Expected whenever a client goes while frames of its are still
# being answered, so not an error: the disconnect message follows and cleans up.
CLIENT_GONE = (OSError, RuntimeError)


class InboxWebsocketConsumer(AsyncWebsocketConsumer):
    closed = False  # set by the subclass once the connection is closed, from either side

    def open_inbox(self) -> local_delivery.Inbox:
        raise NotImplementedError

    async def shut_down(self) -> None:
        raise NotImplementedError

    async def __call__(self, scope, receive, send) -> None:
        self.scope = scope
        self.base_send = send
        self.inbox = self.open_inbox()
        try:
            # Ends once the connection is closed, from either side: frames that were still
            # buffered for a connection the server has closed are never read (a hostile
            # client's backlog), and the server drops them with the connection.
            while not self.closed:
                await self.inbox.handle_own(await receive())
                # A receive that finds a message waiting does not suspend: without this,
                # a client with a backlog of frames would hold the loop until it is empty.
                await asyncio.sleep(0)
        except StopConsumer:
            pass
        finally:
            self.inbox.close()
            # Also when the loop ends without a disconnect message (an exception): what
            # the connection holds (topics, its count against its address) must not
            # outlive it.
            await self.shut_down()

    async def dispatch(self, message: dict) -> None:
        # Channels' own dispatch first closes stale database connections through
        # sync_to_async: a hop to one thread shared by every connection, for every frame
        # and event, before the rate limit can drop anything; it made a relay 4x slower.
        # The rendezvous consumer never uses the database, and database_sync_to_async
        # closes stale connections itself should a handler need it.
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"no handler for message type {message['type']}")
        await handler(message)

    async def send_text(self, text: str) -> None:
        try:
            await self.base_send({"type": "websocket.send", "text": text})
        except CLIENT_GONE:
            pass

    async def close(self, code: int | None = None, reason: str | None = None) -> None:
        try:
            await super().close(code, reason)
        except CLIENT_GONE:
            pass
