"""The mirror service as a child of `manage.py serve --mirror` (`make run`): started with
the server, stopped with it, its output on the server's. Should the server die without
stopping it, the kernel sends it SIGTERM too (Linux's parent-death signal), so no mirror
outlives its server."""

import ctypes
import signal
import subprocess
import sys

from django.conf import settings

PR_SET_PDEATHSIG = 1
STOP_WAIT_S = 5.0


def _die_with_parent() -> None:
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


class MirrorProcess:
    def __init__(self, server_url: str) -> None:
        manage = str(settings.BASE_DIR / "manage.py")
        command = [sys.executable, manage, "mirror", "--server", server_url]
        self.process = subprocess.Popen(command, preexec_fn=_die_with_parent)  # noqa: S603, PLW1509

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=STOP_WAIT_S)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
