"""What the service worker caches, and the version that names that cache.

The app shell is the page at "/" plus every static file the browser app loads: its own
modules (static/app/) or, when the page loads it instead, their bundle (static/bundle/),
its stylesheets, the vendored libraries (static/vendor/) and the icons (static/icons/).
The service worker (/sw.js, see views.service_worker) precaches exactly this list under
a cache named by `shell_version()`, and a page is only ever served from one version's
cache, so old and new files never mix.

The version is a hash of the list and of every listed file's bytes, plus the page
template and the service worker's own modules: any change to what the browser runs makes
a new /sw.js, which browsers notice on their next update check.
"""

import base64
import hashlib
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.templatetags.static import static
from django.urls import reverse

from signal_server.app_bundle import BUNDLE_FOLDER, MANIFEST, page_scripts

# Folders of the static tree that make up the shell.
SHELL_FOLDERS = ("app/", "bundle/", "vendor/", "icons/")
# The service worker's own modules are fetched by the browser with the worker script;
# they are hashed into the version but the page never loads them, so they are not cached.
WORKER_FOLDER = "app/sw/"
# Build bookkeeping the browser never asks for.
NOT_SERVED = {"vendor/integrity.json", "vendor/README.md", MANIFEST}
IGNORE_PATTERNS = [".*", "*~", "*.map"]
SHELL_TEMPLATE = "index.html"


@dataclass(frozen=True)
class ShellFile:
    path: str  # relative to the static tree, e.g. "app/main.js"
    source: Path  # where it is on disk

    @property
    def url(self) -> str:
        return static(self.path)


def _static_files() -> dict[str, Path]:
    """Every static file the finders know, by its path in the static tree (first wins,
    as with collectstatic)."""
    found: dict[str, Path] = {}
    for finder in finders.get_finders():
        for path, storage in finder.list(IGNORE_PATTERNS):
            path = path.replace("\\", "/")
            found.setdefault(path, Path(storage.path(path)))
    return found


def _shell_and_worker_files() -> tuple[list[ShellFile], list[ShellFile]]:
    # The page loads the bundle or the modules (app_bundle.py), never both: the other
    # is not cached.
    scripts = page_scripts()
    unused = scripts.replaced if scripts.bundled else None
    shell: list[ShellFile] = []
    worker: list[ShellFile] = []
    for path, source in sorted(_static_files().items()):
        if not path.startswith(SHELL_FOLDERS) or path in NOT_SERVED:
            continue
        if (path in unused) if unused is not None else path.startswith(BUNDLE_FOLDER):
            continue
        (worker if path.startswith(WORKER_FOLDER) else shell).append(ShellFile(path, source))
    return shell, worker


def shell_files() -> list[ShellFile]:
    """The static files the service worker precaches, sorted by path."""
    return _shell_and_worker_files()[0]


def shell_url() -> str:
    return reverse("app")


def _template_source() -> Path:
    for folder in settings.TEMPLATES[0]["DIRS"]:
        candidate = Path(folder) / SHELL_TEMPLATE
        if candidate.exists():
            return candidate
    raise FileNotFoundError(SHELL_TEMPLATE)


def _compute_version() -> str:
    shell, worker = _shell_and_worker_files()
    digest = hashlib.sha256()
    for file in [*shell, *worker]:
        digest.update(f"{file.url}\0{file.source.stat().st_size}\0".encode())
        digest.update(file.source.read_bytes())
    digest.update(f"{shell_url()}\0".encode())
    digest.update(_template_source().read_bytes())
    return digest.hexdigest()[:20]


_cached_version = cache(_compute_version)


def shell_version() -> str:
    """The version of the current shell. Computed once per process; with DEBUG on it is
    recomputed on every call, so an edited file is picked up without a restart."""
    return _compute_version() if settings.DEBUG else _cached_version()


def _compute_integrity() -> dict[str, str]:
    return {
        file.url: "sha384-"
        + base64.b64encode(hashlib.sha384(file.source.read_bytes()).digest()).decode()
        for file in shell_files()
    }


_cached_integrity = cache(_compute_integrity)


def shell_integrity() -> dict[str, str]:
    """Subresource-integrity hashes of the shell files, by URL. The worker fetches each
    file with its hash, so a deploy that lands while a worker installs fails that install
    (the browser tries again later) instead of caching a mix of two versions."""
    return _compute_integrity() if settings.DEBUG else _cached_integrity()


# The worker's own modules, by URL: the same static URLs as everything else.
APP_SHELL_MODULE = "app/sw/app-shell.js"
PUSH_HANDLER_MODULE = "app/sw/push-handler.js"


def service_worker_script() -> str:
    """The source of /sw.js: a module worker that serves the shell and handles pushes."""
    config = {
        "version": shell_version(),
        "shell": shell_url(),
        "assets": [file.url for file in shell_files()],
        "integrity": shell_integrity(),
    }
    return (
        "// Generated by signal_server/app_shell.py: the version names the cache, the\n"
        "// assets are every file the app loads (docs/architecture.md, PWA).\n"
        f"import {{ serveAppShell }} from {json.dumps(static(APP_SHELL_MODULE))};\n"
        f"import {{ handlePushes }} from {json.dumps(static(PUSH_HANDLER_MODULE))};\n"
        "\n"
        f"serveAppShell(self, {json.dumps(config, indent=2)});\n"
        "handlePushes(self);\n"
    )
