"""`python manage.py turn`: coturn in the foreground, configured from Parley's settings.

It writes a hardened turnserver.conf (signal_server/coturn.py) into a private temporary
folder, runs Debian's `turnserver` on it (its own log, which names client and peer addresses,
only with --log), and removes the
folder when coturn ends (Ctrl-C, SIGTERM). `--print-config` prints the configuration
instead (with the secret replaced), for an operator who runs coturn another way.
PARLEY_TURN_SECRET must be set: it is the secret the rendezvous server mints
credentials with (docs/deployment.md, TURN).
"""

import signal
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from signal_server.coturn import TurnConfig, TurnConfigError
from signal_server.coturn_process import Coturn, turnserver_binary


class Command(BaseCommand):
    help = "Run coturn (turnserver) in the foreground with a configuration from the settings."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, help="instead of PARLEY_TURN_PORT")
        parser.add_argument(
            "--listening-ip", help="instead of PARLEY_TURN_LISTEN_IP (also the relay address)"
        )
        parser.add_argument(
            "--allow-loopback-peers",
            action="store_true",
            help="development only: relay to 127.0.0.1; refused unless coturn listens and "
            "relays on loopback alone",
        )
        parser.add_argument(
            "--log",
            action="store_true",
            help="coturn's own log on this terminal (it names client and peer addresses: "
            "for finding a problem, not for every day)",
        )
        parser.add_argument(
            "--print-config", action="store_true", help="print turnserver.conf and exit"
        )

    def handle(self, *args, **options):
        changes: dict = {
            "allow_loopback_peers": options["allow_loopback_peers"],
            "log": options["log"],
        }
        if options["port"]:
            changes["port"] = options["port"]
        if options["listening_ip"]:
            changes["listening_ips"] = (options["listening_ip"],)
            changes["relay_ip"] = options["listening_ip"]
        config = TurnConfig.from_settings(**changes)
        try:
            config.check()
        except TurnConfigError as error:
            raise CommandError(str(error)) from None
        if options["print_config"]:
            text = config.config_text(run_folder=Path("/run/parley-turn"))
            self.stdout.write(text.replace(config.secret, "<PARLEY_TURN_SECRET>"), ending="")
            return
        if turnserver_binary() is None:
            raise CommandError("turnserver is not installed: make install-turn (Debian's coturn)")
        coturn = Coturn(config, log=sys.stdout)
        # SIGTERM ends this command as Ctrl-C does, so the folder with the secret goes too.
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        coturn.start()
        self.stderr.write(f"coturn: STUN and TURN on port {config.port} (UDP and TCP)")
        try:
            if coturn.process is not None:
                coturn.process.wait()
        except KeyboardInterrupt:
            pass
        finally:
            coturn.stop()
