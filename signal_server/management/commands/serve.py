"""`python manage.py serve`: Parley on daphne or uvicorn, with its WebSocket limits.

The one place that knows the servers' command lines, so `make run`, the tests and the
benchmarks all serve the same way. daphne is the default (`make run`); uvicorn (uvloop,
httptools) relays about twice as fast per core and is the production server
(docs/deployment.md, bench/README.md). Both serve the same `parley.asgi:application`.
`--turn` starts coturn beside the server and stops it with the server (coturn_process.py:
`start_beside_server`; `make run` uses it for a development STUN and TURN on 127.0.0.1).
`--mirror` does the same with the blind mirror service (`manage.py mirror`, mirror/).
"""

import os
import socket
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from mirror.beside_server import MirrorProcess
from signal_server.coturn_process import CoturnFailed, start_beside_server

# The server cuts a WebSocket message above this before it is buffered for Django; the
# consumer then applies the smaller protocol limit (docs/protocol.md §5).
TRANSPORT_LIMIT_FACTOR = 2
SERVERS = ("daphne", "uvicorn")


class Command(BaseCommand):
    help = "Serve Parley (HTTP and the /ws/signal rendezvous endpoint) with daphne or uvicorn."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument(
            "--fd",
            type=int,
            help="serve on this inherited listening socket instead of --host and --port",
        )
        parser.add_argument("--server", choices=SERVERS, default="daphne")
        parser.add_argument(
            "--workers",
            type=int,
            default=1,
            help="uvicorn only: processes sharing the port; more than 1 needs REDIS_URL",
        )
        parser.add_argument("--verbosity-daphne", type=int, default=1, help="daphne's -v")
        parser.add_argument(
            "--turn",
            action="store_true",
            help="also run coturn (PARLEY_TURN_* settings; without PARLEY_TURN_SECRET on a "
            "loopback --host, a development relay with a secret new for this run)",
        )

        parser.add_argument(
            "--mirror",
            action="store_true",
            help="also run the blind mirror service (manage.py mirror) for this server",
        )

    def handle(self, *args, **options):
        limit = settings.PARLEY_SIGNAL["MAX_FRAME_BYTES"] * TRANSPORT_LIMIT_FACTOR
        workers = options["workers"]
        if workers < 1:
            raise CommandError("--workers is at least 1")
        if workers > 1 and options["server"] != "uvicorn":
            raise CommandError("--workers is for --server uvicorn; run several daphnes instead")
        if workers > 1 and not settings.REDIS_URL:
            # Without Redis each process would keep topics of its own (docs/deployment.md).
            raise CommandError("more than one worker needs REDIS_URL (a shared Redis)")
        where = Binding(options["host"], options["port"], options["fd"])
        coturn = None
        if options["turn"]:
            try:
                coturn = start_beside_server(where.listening_host(), self.stderr.write)
            except CoturnFailed as error:
                raise CommandError(str(error)) from error
        mirror = None
        if options["mirror"]:
            # It reaches the server on loopback when the server listens on every address.
            host = where.listening_host()
            host = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host  # noqa: S104
            mirror = MirrorProcess(f"http://{host}:{where.listening_port()}")
        try:
            if options["server"] == "uvicorn":
                serve_uvicorn(where, limit, workers)
            else:
                serve_daphne(where, limit, options["verbosity_daphne"])
        finally:
            if mirror is not None:
                mirror.stop()
            if coturn is not None:
                coturn.stop()


@dataclass(frozen=True)
class Binding:
    """Where to listen: a host and port, or a listening socket inherited as `fd`."""

    host: str
    port: int
    fd: int | None = None

    def listening_host(self) -> str:
        """The address the server listens on: --host, or the inherited socket's own (a
        development relay beside the server listens on the same one)."""
        if self.fd is None:
            return self.host
        with socket.socket(fileno=os.dup(self.fd)) as inherited:
            return inherited.getsockname()[0]

    def listening_port(self) -> int:
        if self.fd is None:
            return self.port
        with socket.socket(fileno=os.dup(self.fd)) as inherited:
            return inherited.getsockname()[1]

    def daphne_argv(self) -> list[str]:
        if self.fd is not None:
            return ["--fd", str(self.fd)]
        return ["-b", self.host, "-p", str(self.port)]


def serve_daphne(where: Binding, limit: int, verbosity: int) -> None:
    # daphne with backpressure and its access log through logging (daphne_server.py).
    from signal_server.daphne_server import ParleyDaphne

    # Every limit daphne (and through it autobahn) applies, spelled out, at daphne's own
    # defaults where Parley has no reason to differ (docs/deployment.md, "Servers").
    argv = [
        *where.daphne_argv(),
        "-v", str(verbosity),
        # No cap on a connection's life: the consumer closes idle ones (IDLE_SECONDS).
        "--websocket_timeout", "-1",
        # The opening handshake (autobahn's openHandshakeTimeout too).
        "--websocket_connect_timeout", "5",
        # A WebSocket ping after this long without a frame; closed when none comes back.
        "--ping-interval", "20",
        "--ping-timeout", "30",
        "--websocket-max-message-size", str(limit),
        "--websocket-max-frame-size", str(limit),
        # How long a consumer may take to end after its client went, before it is killed.
        "--application-close-timeout", "10",
        "parley.asgi:application",
    ]  # fmt: skip
    ParleyDaphne().run(argv)


def serve_uvicorn(where: Binding, limit: int, workers: int) -> None:
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    options: dict[str, Any] = dict(
        loop="uvloop",
        http="httptools",
        # websockets-sansio, parsing a connection's bytes only as its consumer reads
        # (signal_server/uvicorn_protocol.py).
        ws="signal_server.uvicorn_protocol:PacedWebSocketProtocol",
        ws_max_size=limit,
        # Sealed blobs do not compress; deflate would only cost CPU on both ends.
        ws_per_message_deflate=False,
        # The client's address comes from X-Forwarded-For only as far as
        # PARLEY_TRUSTED_PROXY_COUNT says (signal_server/addresses.py), never from uvicorn.
        proxy_headers=False,
        server_header=False,
        lifespan="off",
        access_log=False,
        log_level="warning",
        # Django's LOGGING (parley/settings.py), with its rate limit, rather than uvicorn's.
        log_config=None,
        # Its defaults, spelled out: a ping after 20 s without one, closed 20 s later if
        # no pong came. (Backpressure needs no setting: the socket is not read again
        # until the consumer has taken every message of what was read.)
        ws_ping_interval=20,
        ws_ping_timeout=20,
        backlog=4096,
    )
    application = "parley.asgi:application"
    if where.fd is None:
        uvicorn.run(application, host=where.host, port=where.port, workers=workers, **options)
        return
    # An inherited socket: what uvicorn.run does with a port it bound, on this socket.
    config = uvicorn.Config(application, workers=workers, **options)
    listening = socket.socket(fileno=where.fd)
    server = uvicorn.Server(config)
    if workers > 1:
        Multiprocess(config, sockets=[listening]).run()
    else:
        server.run(sockets=[listening])
