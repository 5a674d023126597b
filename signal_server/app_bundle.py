"""Which scripts the page loads: the app's bundle, or its modules.

`scripts/build-app.mjs` (run by `make`) bundles static/app/'s modules into
static/bundle/app/ and writes static/bundle/manifest.json: the bundle's entry, the
chunks the entry imports, and a SHA-256 of every module it was built from. The page
loads the bundle only while every one of those hashes still matches the module on disk
and the manifest names the same modules the import graph reaches now; otherwise (no
bundle yet, or a module edited since) it loads the modules themselves, with a
modulepreload link each (module_graph.py), and the server logs why (once per process;
with DEBUG, each time it checks). Either way the browser runs the same code.

PARLEY_APP_BUNDLE=0 always serves the modules. With DEBUG the check runs on every
page, so an edited module shows on the next reload.
"""

import hashlib
import json
import logging
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.conf import settings

from signal_server.module_graph import module_graph

logger = logging.getLogger(__name__)

BUNDLE_FOLDER = "bundle/"
MANIFEST = "bundle/manifest.json"
ENTRY = "app/main.js"


@dataclass(frozen=True)
class PageScripts:
    entry: str  # the module the page runs, as a path in the static tree
    preload: tuple[str, ...]  # what it imports at once: asked for beside it
    bundled: bool
    replaced: frozenset[str] = frozenset()  # the modules a bundle stands for


def page_scripts() -> PageScripts:
    return _choose(static_root()) if settings.DEBUG else _cached_choice()


def static_root() -> Path:
    return Path(settings.STATICFILES_DIRS[0])


@cache
def _cached_choice() -> PageScripts:
    return _choose(static_root())


def _choose(root: Path) -> PageScripts:
    reason = None if settings.PARLEY_APP_BUNDLE else "PARLEY_APP_BUNDLE is off"
    bundle = None
    if reason is None:
        bundle, reason = current_bundle(root)
    if bundle is not None:
        return bundle
    if settings.PARLEY_APP_BUNDLE:
        logger.warning("Serving the app's modules, not its bundle: %s (`make` rebuilds it)", reason)
    modules = tuple(
        path for path in module_graph(ENTRY) if path.startswith("app/") and path != ENTRY
    )
    return PageScripts(entry=ENTRY, preload=modules, bundled=False)


def current_bundle(root: Path) -> tuple[PageScripts | None, str | None]:
    """The bundle if it was built from the modules as they are now, else (None, why)."""
    try:
        manifest = json.loads((root / MANIFEST).read_text())
        entry, preload, inputs = manifest["entry"], manifest["preload"], manifest["inputs"]
    except FileNotFoundError:
        return None, "there is no bundle"
    except (ValueError, KeyError, TypeError):
        return None, f"{MANIFEST} is not a bundle manifest"
    app_modules = {path for path in module_graph(ENTRY) if path.startswith("app/")}
    if not app_modules <= set(inputs):
        return None, "a module was added since the bundle was built"
    for path, digest in inputs.items():
        source = root / path
        if not source.is_file() or hashlib.sha256(source.read_bytes()).hexdigest() != digest:
            return None, f"{path} changed since the bundle was built"
    for path in [entry, *preload]:
        if not path.startswith(BUNDLE_FOLDER) or not (root / path).is_file():
            return None, f"the bundle lacks {path}"
    return PageScripts(entry, tuple(preload), bundled=True, replaced=frozenset(inputs)), None
