"""signal_server/app_bundle.py: the page loads the bundle only while it was built from
the modules as they are; otherwise the modules, and the server says why."""

import hashlib
import json
import logging
import shutil
from pathlib import Path

import pytest
from django.test import override_settings

from signal_server import app_bundle
from signal_server.app_bundle import MANIFEST, current_bundle, page_scripts

STATIC = Path(__file__).resolve().parents[2] / "static"


@pytest.fixture
def static_tree(tmp_path):
    """The real modules and a bundle manifest built from them, in a folder of the test's."""
    root = tmp_path / "static"
    shutil.copytree(STATIC / "app", root / "app")
    bundle = root / "bundle" / "app"
    bundle.mkdir(parents=True)
    for name in ("main.js", "chunk-A.js"):
        (bundle / name).write_text("// bundled\n")
    inputs = {
        path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted((root / "app").rglob("*.js"))
        if "sw" not in path.relative_to(root / "app").parts
    }
    manifest = {
        "entry": "bundle/app/main.js",
        "preload": ["bundle/app/chunk-A.js"],
        "inputs": inputs,
    }
    (root / MANIFEST).write_text(json.dumps(manifest))
    with override_settings(STATICFILES_DIRS=[root], DEBUG=True, PARLEY_APP_BUNDLE=True):
        yield root


def test_a_bundle_built_from_the_modules_as_they_are_is_served(static_tree):
    scripts = page_scripts()
    assert scripts.bundled
    assert (scripts.entry, scripts.preload) == ("bundle/app/main.js", ("bundle/app/chunk-A.js",))
    assert "app/files/merkle.js" in scripts.replaced


def add_a_module(root):
    (root / "app/added-later.js").write_text("export {};\n")
    main = root / "app/main.js"
    main.write_text(main.read_text() + "import './added-later.js';\n")


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda root: (root / MANIFEST).unlink(), "there is no bundle"),
        (lambda root: (root / MANIFEST).write_text("[1, 2]"), "is not a bundle manifest"),
        (
            lambda root: (root / "app/files/merkle.js").write_text("// edited\n"),
            "app/files/merkle.js changed",
        ),
        (
            lambda root: (root / "bundle/app/chunk-A.js").unlink(),
            "the bundle lacks bundle/app/chunk-A.js",
        ),
        (add_a_module, "a module was added"),
    ],
)
def test_otherwise_the_modules_are_served_and_the_server_says_why(
    static_tree, caplog, change, reason
):
    change(static_tree)
    bundle, why = current_bundle(static_tree)
    assert bundle is None and reason in why
    with caplog.at_level(logging.WARNING, logger="signal_server.app_bundle"):
        scripts = page_scripts()
    assert not scripts.bundled and scripts.entry == "app/main.js"
    assert "app/files/merkle.js" in scripts.preload
    assert reason in caplog.text


def test_a_module_the_manifest_does_not_name_makes_it_stale(static_tree):
    manifest = json.loads((static_tree / MANIFEST).read_text())
    del manifest["inputs"]["app/files/merkle.js"]
    (static_tree / MANIFEST).write_text(json.dumps(manifest))
    assert current_bundle(static_tree) == (None, "a module was added since the bundle was built")


def test_turned_off_the_modules_are_served_without_a_warning(static_tree, caplog):
    with override_settings(PARLEY_APP_BUNDLE=False), caplog.at_level(logging.WARNING):
        assert not page_scripts().bundled
    assert caplog.text == ""


def test_outside_debug_the_choice_is_made_once_per_process(static_tree):
    app_bundle._cached_choice.cache_clear()
    try:
        with override_settings(DEBUG=False):
            assert page_scripts().bundled
            (static_tree / "app/files/merkle.js").write_text("// edited\n")
            assert page_scripts().bundled
            app_bundle._cached_choice.cache_clear()  # what a restart does
            assert not page_scripts().bundled
    finally:
        app_bundle._cached_choice.cache_clear()
