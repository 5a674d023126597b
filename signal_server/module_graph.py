"""The static import graph of the browser app, so the page can ask for every module at once.

A browser learns a module's imports only once the module has arrived, so a graph of
many small modules loads in rounds, one per level of depth. The page lists every module
main.js reaches through static `import … from` / `export … from`, and through main.js's
own `import()`s (it loads the app that way, at once), as a modulepreload link, and the
browser fetches them all in one round. Other `import()`s stay out: they are what loads
later on purpose.
"""

import re
from functools import cache
from pathlib import Path, PurePosixPath

from django.conf import settings

# Static imports and re-exports with a relative specifier: `import x from './a.js'`,
# `import './a.js'`, `export { y } from '../b.js'`. Comments are stripped first.
STATIC_IMPORT = re.compile(
    r"""(?:^|[;\s}])(?:import|export)\s*(?:[\w*{},\s$]+?\s*from\s*)?['"](\.{1,2}/[^'"]+)['"]"""
)
DYNAMIC_IMPORT = re.compile(r"""\bimport\(\s*['"](\.{1,2}/[^'"]+)['"]\s*\)""")
COMMENTS = re.compile(r"/\*.*?\*/|(?<![:'\"\\])//[^\n]*", re.DOTALL)


def static_imports(source: str) -> list[str]:
    return STATIC_IMPORT.findall(COMMENTS.sub("", source))


def dynamic_imports(source: str) -> list[str]:
    return DYNAMIC_IMPORT.findall(COMMENTS.sub("", source))


def module_graph(entry: str = "app/main.js") -> tuple[str, ...]:
    """Every module reachable from `entry` by static imports, as paths in the static tree,
    the entry first and then in the order they were found. Read once per process, except
    with DEBUG, where an edited module shows on the next page load."""
    return _walk(entry) if settings.DEBUG else _cached_walk(entry)


@cache
def _cached_walk(entry: str) -> tuple[str, ...]:
    return _walk(entry)


def _walk(entry: str) -> tuple[str, ...]:
    root = Path(settings.STATICFILES_DIRS[0])
    seen: dict[str, None] = {}
    pending = [PurePosixPath(entry)]
    while pending:
        path = pending.pop(0)
        key = str(path)
        if key in seen:
            continue
        seen[key] = None
        if key.startswith("vendor/"):
            continue  # built by esbuild into single files: no imports of their own
        try:
            source = (root / key).read_text()
        except OSError:
            # A broken import fails in the browser, which says which; the page still
            # renders, and the bundle's check still refuses a tree it was not built from.
            continue
        # The entry's own import()s run at boot (main.js loads the app that way).
        boot = dynamic_imports(source) if key == entry else []
        for specifier in [*static_imports(source), *boot]:
            target = _normalise(path.parent / specifier)
            if target is not None:
                pending.append(target)
    return tuple(seen)


def _normalise(path: PurePosixPath) -> PurePosixPath | None:
    """The path without `.` and `..`; None if it climbs out of the static tree."""
    parts: list[str] = []
    for part in path.parts:
        if part == "..":
            if not parts:
                return None
            parts.pop()
        elif part != ".":
            parts.append(part)
    return PurePosixPath(*parts)
