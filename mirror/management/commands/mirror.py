"""`python manage.py mirror`: the blind mirror service (docs/protocol.md §12).

A long-lived headless peer that keeps encrypted copies of the rooms members hand it, in
the Django database, and serves them to members who were offline. It connects to the
rendezvous server at --server (default: PARLEY_MIRROR_SERVER_URL), registers as its
mirror, and reconnects on its own. `make run` starts one beside the server
(`serve --mirror`).
"""

import asyncio
import contextlib
import logging
import signal
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from mirror.held_room import RoomLimits
from mirror.keys import SEED_FILE_NAME, load_or_create
from mirror.service import MirrorService, ServiceLimits


def limits_from_settings() -> ServiceLimits:
    config = settings.PARLEY_MIRROR
    return ServiceLimits(
        max_rooms=config["MAX_ROOMS"],
        room=RoomLimits(
            max_bytes=config["MAX_ROOM_BYTES"],
            entries_per_second=config["ENTRIES_PER_SECOND"],
            entries_burst=config["ENTRIES_BURST"],
        ),
        expiry_days=config["EXPIRY_DAYS"],
    )


class Command(BaseCommand):
    help = "Run the blind mirror service: encrypted copies of rooms for offline members."

    def add_arguments(self, parser):
        parser.add_argument("--server", default=settings.PARLEY_MIRROR["SERVER_URL"])

    def handle(self, *args, **options):
        logging.getLogger("mirror").setLevel(logging.INFO)
        data = Path(settings.PARLEY_DATA_DIR)
        key = load_or_create(data / SEED_FILE_NAME, Path(settings.PARLEY_MIRROR_KEY_FILE))
        service = MirrorService(options["server"], key, limits_from_settings())
        self.stdout.write(f"mirror service for {options['server']}", ending="\n")
        asyncio.run(run_until_stopped(service))


async def run_until_stopped(service: MirrorService) -> None:
    """Run until SIGTERM or SIGINT, then let the service close its rooms: what arrived is
    stored before the process ends (a supervisor's stop, `serve --mirror` ending)."""
    running = asyncio.ensure_future(service.run())
    loop = asyncio.get_running_loop()
    for stop in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(stop, running.cancel)
    with contextlib.suppress(asyncio.CancelledError):
        await running
