"""The wrapper Playwright launches runs Chromium inside the namespace, switches merged."""

import json
import os
import subprocess
import sys

from e2e.lab.browser import write_wrapper
from e2e.lab.topology import Lab

# Stands in for Chromium: says which network namespace it runs in and what it was given.
FAKE_CHROMIUM = """#!{python}
import json, os, sys
print(json.dumps({{"net": os.readlink("/proc/self/ns/net"), "args": sys.argv[1:]}}))
"""


def test_the_wrapper_enters_the_namespace_and_keeps_every_feature_switch(tmp_path):
    fake = tmp_path / "fake-chromium"
    fake.write_text(FAKE_CHROMIUM.format(python=sys.executable))
    fake.chmod(0o755)
    with Lab() as lab:
        wrapper = write_wrapper(tmp_path, lab.public, chromium=str(fake))
        given = [
            "--remote-debugging-pipe",
            "--disable-features=Playwright1,Playwright2",  # as Playwright passes its own
            "--headless",
            "--disable-features=Ours,Playwright2",
            "--enable-features=Wanted",
        ]
        seen = json.loads(subprocess.run([wrapper, *given], capture_output=True, check=True).stdout)
        lab_namespace = os.stat(f"/run/netns/{lab.public}").st_ino

    assert seen["net"] == f"net:[{lab_namespace}]"
    assert seen["args"] == [
        "--remote-debugging-pipe",
        "--headless",
        "--disable-features=Playwright1,Playwright2,Ours",
        "--enable-features=Wanted",
    ]
