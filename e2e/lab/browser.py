"""Debian's Chromium launched by Playwright inside a lab namespace.

    browser = launch_in(playwright, home.user, lab.directory, origins=[origin])

Playwright starts the executable it is given and talks to it over a pipe; here that
executable is a small wrapper that enters the namespace (`ip netns exec NS chromium`)
and so keeps the pipe. The wrapper also merges every `--disable-features` (and
`--enable-features`) switch into one, because Chromium keeps only the last of each and
Playwright passes its own: ours would otherwise silently replace Playwright's.

The lab's pages are served over plain http from a non-loopback address, which is not a
secure context: each such origin is declared with
`--unsafely-treat-insecure-origin-as-secure`. No `--use-fake-ui-for-media-stream` by
default: that switch also turns off Chromium's mDNS hiding of host addresses, so a
browser with it would offer candidates real users never send (issue 16). Calls pass
`media=True` and are a case of their own.
"""

import os
import sys
from pathlib import Path

CHROMIUM = os.environ.get("PARLEY_CHROMIUM", "/usr/bin/chromium")
BASE_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
MEDIA_ARGS = [
    "--use-fake-ui-for-media-stream",
    # Three fake cameras, so switching devices can be tested. (Chromium's fake_device_1 is
    # a 16-bit depth camera whose frames WebRTC does not send; fake_device_2 is a colour one.)
    "--use-fake-device-for-media-stream=device-count=3",
]

WRAPPER = """\
#!{python}
# Chromium inside network namespace {namespace}, for Playwright (e2e/lab/browser.py).
import os, sys

MERGED = ("--disable-features=", "--enable-features=")
args, features = [], {{prefix: [] for prefix in MERGED}}
for arg in sys.argv[1:]:
    prefix = next((p for p in MERGED if arg.startswith(p)), None)
    if prefix:
        features[prefix] += [f for f in arg[len(prefix):].split(",") if f]
    else:
        args.append(arg)
args += [prefix + ",".join(dict.fromkeys(names)) for prefix, names in features.items() if names]
os.execvp("ip", ["ip", "netns", "exec", {namespace!r}, {chromium!r}, *args])
"""


def write_wrapper(directory: Path, namespace: str, chromium: str = CHROMIUM) -> Path:
    path = directory / f"chromium-{namespace}"
    path.write_text(WRAPPER.format(python=sys.executable, namespace=namespace, chromium=chromium))
    path.chmod(0o755)
    return path


def chromium_args(origins: list[str], *, media: bool = False, extra: list[str] = ()) -> list[str]:
    secure = [f"--unsafely-treat-insecure-origin-as-secure={','.join(origins)}"] if origins else []
    return [*BASE_ARGS, *(MEDIA_ARGS if media else []), *secure, *extra]


def launch_in(playwright, namespace: str, directory: Path, *, origins: list[str], **options):
    """A Playwright Browser whose Chromium runs inside `namespace`."""
    wrapper = write_wrapper(directory, namespace)
    return playwright.chromium.launch(
        executable_path=str(wrapper), args=chromium_args(origins, **options)
    )
