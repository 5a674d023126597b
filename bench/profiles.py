"""Where a benchmark's pages live: what `browser.new_context()` gives them.

By default two private contexts of one browser: their storage is in memory. People
use Parley in a profile of their own, on disk, each in their own browser; with
`PersistentProfiles` every `new_context()` is a persistent profile in a browser of its
own (closing the context closes that browser and deletes the profile):

    people = PersistentProfiles(playwright, stack, args)   # in place of `browser`
    context = people.new_context()
"""

import tempfile
from contextlib import ExitStack

from e2e.conftest import CHROMIUM


class PersistentProfiles:
    def __init__(self, playwright, stack: ExitStack, args: list[str]):
        self.playwright = playwright
        self.stack = stack
        self.args = args

    def new_context(self, **options):
        folder = self.stack.enter_context(tempfile.TemporaryDirectory(prefix="parley-profile-"))
        return self.playwright.chromium.launch_persistent_context(
            folder, executable_path=CHROMIUM, args=self.args, **options
        )
