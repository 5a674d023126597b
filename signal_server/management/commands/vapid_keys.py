"""`python manage.py vapid_keys`: make the server's VAPID key (docs/deployment.md, "Push").

Writes `<PARLEY_DATA_DIR>/vapid_private.pem` (mode 0600) and prints the public key, the
one line on stdout. The private key is printed only with `--show-private`, as the
`PARLEY_VAPID_PRIVATE_KEY=...` line for a deployment that keeps it in the environment.

- no option: make the key; an error if the file exists (replacing it would orphan every
  push subscription, see --force);
- `--if-missing`: make the key unless the file exists (what `make run` does);
- `--force`: make a new key in place of the old one.

When PARLEY_VAPID_PRIVATE_KEY is set, that key is the one in use: the command touches
no file and prints its public key.
"""

from django.core.management.base import BaseCommand, CommandError

from signal_server.push import vapid


class Command(BaseCommand):
    help = "Create the VAPID key for Web Push (kept in PARLEY_DATA_DIR) and print its public key."

    def add_arguments(self, parser):
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument(
            "--if-missing", action="store_true", help="keep an existing key file (no error)"
        )
        mode.add_argument(
            "--force",
            action="store_true",
            help="replace an existing key: every stored push subscription stops working",
        )
        parser.add_argument(
            "--show-private",
            action="store_true",
            help="also print PARLEY_VAPID_PRIVATE_KEY=<private key> (a secret)",
        )

    def handle(self, *args, **options):
        if vapid.key_from_environment():
            if options["force"]:
                raise CommandError("PARLEY_VAPID_PRIVATE_KEY is set; change it there instead")
            self.stderr.write("PARLEY_VAPID_PRIVATE_KEY is set: it is the key in use.")
            key = self._current()
        elif vapid.key_file().exists() and not options["force"]:
            if not options["if_missing"]:
                raise CommandError(
                    f"{vapid.key_file()} exists; --force replaces it, which orphans every "
                    "push subscription"
                )
            key = self._current()
        else:
            key = vapid.generate_key()
            path = vapid.write_key_file(key, replace=options["force"])
            self.stderr.write(f"wrote {path}")
        self.stdout.write(vapid.public_key_b64(key))
        if options["show_private"]:
            self.stdout.write(f"PARLEY_VAPID_PRIVATE_KEY={vapid.private_key_b64(key)}")

    def _current(self):
        try:
            key = vapid.current_key()
        except vapid.VapidKeyError as error:
            raise CommandError(str(error)) from None
        if key is None:
            raise CommandError("the VAPID key file vanished; run the command again")
        return key
