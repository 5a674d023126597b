"""`python manage.py serve`: daphne with Parley's WebSocket limits.

The one place that knows daphne's command line, so `make run`, the e2e tests and the
benchmarks all serve the same way.
"""

from daphne.cli import CommandLineInterface
from django.conf import settings
from django.core.management.base import BaseCommand

# daphne (autobahn) cuts a WebSocket message above this before it is buffered for
# Django; the consumer then applies the smaller protocol limit (docs/protocol.md §5).
TRANSPORT_LIMIT_FACTOR = 2


class Command(BaseCommand):
    help = "Serve Parley with daphne (HTTP and the /ws/signal rendezvous endpoint)."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--verbosity-daphne", type=int, default=1)

    def handle(self, *args, **options):
        limit = settings.PARLEY_SIGNAL["MAX_FRAME_BYTES"] * TRANSPORT_LIMIT_FACTOR
        argv = [
            "-b", options["host"],
            "-p", str(options["port"]),
            "-v", str(options["verbosity_daphne"]),
            "--websocket_timeout", "-1",
            "--websocket-max-message-size", str(limit),
            "--websocket-max-frame-size", str(limit),
            "parley.asgi:application",
        ]  # fmt: skip
        CommandLineInterface().run(argv)
