"""signal_server/ has no import cycle, counting every import: at module level, inside
functions, and under `if TYPE_CHECKING:` (a cycle there is one refactor away from a
real one).

The graph is read from the source with `ast`, not by importing, so a cycle that Python
happens to tolerate today (a function-level import that breaks it at run time) is found
all the same.
"""

import ast
from pathlib import Path

import pytest

PACKAGE = "signal_server"
ROOT = Path(__file__).resolve().parents[2]


def module_files(root: Path, package: str) -> dict[str, Path]:
    """Dotted module name -> source file, for every module of `package` under `root`."""
    modules = {}
    for path in sorted((root / package).rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


def imported_names(module: str, path: Path) -> set[str]:
    """Every dotted name `module` imports, with `from a import b` giving both a and a.b."""
    is_package = path.name == "__init__.py"
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = module.split(".")
                # A package's own name is its first level; a module's is its parent.
                drop = node.level - 1 if is_package else node.level
                anchor = anchor[: len(anchor) - drop]
                base = ".".join(anchor + ([base] if base else []))
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def import_graph(root: Path, package: str) -> dict[str, set[str]]:
    """Module -> the modules of `package` it imports (the most specific name that is one)."""
    modules = module_files(root, package)
    graph = {}
    for module, path in modules.items():
        targets = set()
        for name in imported_names(module, path):
            # `from a.b import c`: c if it is a module, else a.b (the names' parents are
            # in the set too, so only the longest module name is kept per import).
            if name in modules and name != module:
                targets.add(name)
        graph[module] = {t for t in targets if not any(o.startswith(t + ".") for o in targets)}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as [a, b, ..., a], or None."""
    state: dict[str, str] = {}  # "open" while on the path, "done" after
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = "open"
        path.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == "open":
                return path[path.index(target) :] + [target]
            if target not in state and (cycle := visit(target)):
                return cycle
        path.pop()
        state[node] = "done"
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_signal_server_has_no_import_cycle():
    cycle = find_cycle(import_graph(ROOT, PACKAGE))
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


REDIS_BACKEND = "signal_server.state.redis"


def in_package(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def test_only_the_redis_backend_imports_the_redis_extra_and_only_the_factory_imports_it():
    modules = module_files(ROOT, PACKAGE)
    for module, path in modules.items():
        names = imported_names(module, path)
        if not in_package(module, REDIS_BACKEND):
            extra = {n for n in names if in_package(n, "redis") or in_package(n, "msgpack")}
            assert not extra, f"{module} imports {extra}: only {REDIS_BACKEND} may"
            if module != "signal_server.state.factory":
                backend = {n for n in names if in_package(n, REDIS_BACKEND)}
                assert not backend, f"{module} imports {backend}: only the factory may"


@pytest.mark.parametrize(
    "sources, cycle",
    [
        ({"a.py": "import pkg.b\n", "b.py": "from pkg import a\n"}, ["pkg.a", "pkg.b", "pkg.a"]),
        (
            # Inside a function, and relative: still an edge.
            {"a.py": "def f():\n    from . import b\n", "b.py": "from .a import f\n"},
            ["pkg.a", "pkg.b", "pkg.a"],
        ),
        (
            {
                "a.py": "import typing\nif typing.TYPE_CHECKING:\n    from pkg.b import B\n",
                "b.py": "from pkg.sub.c import C\n",
                "sub/__init__.py": "",
                "sub/c.py": "from ..a import A\n",
            },
            ["pkg.a", "pkg.b", "pkg.sub.c", "pkg.a"],
        ),
        ({"a.py": "import pkg.b\n", "b.py": "import json\n"}, None),
    ],
)
def test_the_cycle_finder_sees_every_kind_of_import(tmp_path, sources, cycle):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    for name, text in sources.items():
        (tmp_path / "pkg" / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "pkg" / name).write_text(text)
    assert find_cycle(import_graph(tmp_path, "pkg")) == cycle
