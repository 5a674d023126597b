"""The mirror service as a child of `manage.py serve --mirror` (`make run`): started with
the server, stopped with it, its output on the server's."""

import subprocess
import sys

from django.conf import settings


class MirrorProcess:
    def __init__(self, server_url: str) -> None:
        manage = str(settings.BASE_DIR / "manage.py")
        command = [sys.executable, manage, "mirror", "--server", server_url]
        self.process = subprocess.Popen(command)  # noqa: S603 (our own command line)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
