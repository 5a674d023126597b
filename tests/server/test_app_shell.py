"""The installable app: the shell the service worker caches, its version, /sw.js and the
web app manifest."""

import base64
import hashlib
import json
import re
import struct
from pathlib import Path

import pytest
from django.test import Client, override_settings

from signal_server import app_bundle, app_shell, module_graph
from signal_server.app_bundle import page_scripts
from signal_server.app_shell import (
    service_worker_script,
    shell_files,
    shell_integrity,
    shell_version,
)

ROOT = Path(__file__).resolve().parents[2]
STATIC = ROOT / "static"
APP = STATIC / "app"
IMPORT = re.compile(r"""(?:\bfrom\s*|\bimport\s*\(?\s*)['"](\.{1,2}/[^'"]+)['"]""")


CACHES = (
    app_shell._cached_version,
    app_shell._cached_integrity,
    app_bundle._cached_choice,
    module_graph._cached_walk,
)


@pytest.fixture(autouse=True)
def fresh_version():
    for cached in CACHES:
        cached.cache_clear()
    yield
    for cached in CACHES:
        cached.cache_clear()


@pytest.fixture
def modules_not_bundle():
    """The page loads the modules themselves (PARLEY_APP_BUNDLE=0)."""
    with override_settings(PARLEY_APP_BUNDLE=False):
        yield


@pytest.fixture
def shell_tree(tmp_path):
    """A small static tree and page template of its own, whose files a test may change."""
    static = tmp_path / "static"
    for path, text in {
        "app/main.js": "import './ui/view.js';\n",
        "app/ui/view.js": "export const view = 1;\n",
        "app/style.css": "body {}\n",
        "app/sw/app-shell.js": "export function serveAppShell() {}\n",
        "vendor/libsodium.js": "export default {};\n",
        "vendor/integrity.json": "{}\n",
        "vendor/.built": "",
        "icons/icon-192.png": "png",
        "elsewhere/not-shell.txt": "no",
    }.items():
        (static / path).parent.mkdir(parents=True, exist_ok=True)
        (static / path).write_text(text)
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "index.html").write_text("<!doctype html><title>Parley</title>\n")
    template_settings = [
        {"BACKEND": "django.template.backends.django.DjangoTemplates", "DIRS": [templates]}
    ]
    with override_settings(STATICFILES_DIRS=[static], TEMPLATES=template_settings, DEBUG=True):
        yield tmp_path


def shell_urls() -> set[str]:
    return {file.url for file in shell_files()}


def test_the_shell_is_the_app_vendor_and_icon_files_the_browser_loads(shell_tree):
    assert shell_urls() == {
        "/static/app/main.js",
        "/static/app/ui/view.js",
        "/static/app/style.css",
        "/static/vendor/libsodium.js",
        "/static/icons/icon-192.png",
    }


def test_the_real_shell_holds_the_app_its_libraries_and_icons():
    urls = shell_urls()
    for needed in [
        f"/static/{page_scripts().entry}",
        "/static/app/style.css",
        "/static/app/boot-guard.js",
        "/static/vendor/libsodium.js",
        "/static/vendor/idb.js",
        "/static/icons/icon-192.png",
        "/static/icons/maskable-512.png",
        "/static/icons/apple-touch-icon.png",
    ]:
        assert needed in urls, needed
    assert not [url for url in urls if url.endswith((".json", ".built", ".md"))]
    assert not [url for url in urls if url.startswith("/static/app/sw/")]


def test_every_module_the_page_imports_is_in_the_shell(modules_not_bundle):
    """Static and dynamic imports alike: a module left out would not load offline."""
    urls = shell_urls()
    page_modules = [p for p in APP.rglob("*.js") if "sw" not in p.relative_to(APP).parts]
    missing = []
    for module in page_modules:
        for target in IMPORT.findall(module.read_text(encoding="utf-8")):
            resolved = (module.parent / target).resolve().relative_to(STATIC)
            if f"/static/{resolved.as_posix()}" not in urls:
                missing.append(f"{module.relative_to(ROOT)} imports {target}")
    assert page_modules and not missing


BUNDLE_IMPORT = re.compile(r"""(?:\bfrom\s*|\bimport\s*\(?\s*|new URL\()['"](\.{1,2}/[^'"]+)['"]""")


def test_every_file_the_bundle_loads_is_in_the_shell_and_the_modules_it_replaced_are_not():
    """Run by `make test` after `make` built the bundle: the page loads it, offline too."""
    scripts = page_scripts()
    assert scripts.bundled, "no current bundle: `make install-node` builds it"
    urls = shell_urls()
    bundle = STATIC / "bundle" / "app"
    missing = []
    for module in bundle.glob("*.js"):
        assert f"/static/bundle/app/{module.name}" in urls
        for target in BUNDLE_IMPORT.findall(module.read_text(encoding="utf-8")):
            resolved = (module.parent / target).resolve().relative_to(STATIC)
            if f"/static/{resolved.as_posix()}" not in urls:
                missing.append(f"{module.name} loads {target}")
    assert not missing
    assert "/static/bundle/app/opfs-worker.js" in urls  # new URL(…, import.meta.url)
    assert "/static/app/main.js" not in urls and "/static/app/files/merkle.js" not in urls
    assert "/static/app/boot-guard.js" in urls and "/static/app/style.css" in urls


def test_the_version_changes_with_any_shell_file(shell_tree):
    before = shell_version()
    assert shell_version() == before
    view = shell_tree / "static" / "app" / "ui" / "view.js"
    view.write_text("export const view = 2;\n")
    changed = shell_version()
    assert changed != before
    (shell_tree / "static" / "icons" / "icon-512.png").write_text("new icon")
    assert shell_version() != changed


def test_the_version_changes_with_the_page_template_and_the_worker_modules(shell_tree):
    before = shell_version()
    (shell_tree / "templates" / "index.html").write_text("<!doctype html><title>P2</title>\n")
    after_template = shell_version()
    assert after_template != before
    (shell_tree / "static" / "app" / "sw" / "app-shell.js").write_text("// changed\n")
    assert shell_version() != after_template


def test_files_outside_the_shell_do_not_change_the_version(shell_tree):
    before = shell_version()
    (shell_tree / "static" / "elsewhere" / "not-shell.txt").write_text("changed")
    (shell_tree / "static" / "vendor" / "integrity.json").write_text('{"x": 1}')
    assert shell_version() == before


def test_outside_debug_the_version_is_computed_once_per_process(shell_tree):
    with override_settings(DEBUG=False):
        first = shell_version()
        (shell_tree / "static" / "app" / "main.js").write_text("// changed\n")
        assert shell_version() == first
        app_shell._cached_version.cache_clear()  # what a restart does
        assert shell_version() != first


def worker_config(script: str) -> dict:
    config = re.search(r"serveAppShell\(self, (\{.*?\})\);", script, re.S)
    assert config, script
    return json.loads(config.group(1))


def test_the_worker_script_imports_its_modules_and_lists_the_shell():
    script = service_worker_script()
    assert 'import { serveAppShell } from "/static/app/sw/app-shell.js";' in script
    assert 'import { handlePushes } from "/static/app/sw/push-handler.js";' in script
    assert script.rstrip().endswith("handlePushes(self);")
    config = worker_config(script)
    assert config["version"] == shell_version()
    assert config["shell"] == "/"
    assert config["assets"] == [file.url for file in shell_files()]
    assert set(config["integrity"]) == set(config["assets"])
    for module in ("app-shell.js", "push-handler.js"):
        assert (APP / "sw" / module).exists()


def test_each_shell_file_has_the_sha384_of_its_bytes(shell_tree):
    main = shell_tree / "static" / "app" / "main.js"
    digest = base64.b64encode(hashlib.sha384(main.read_bytes()).digest()).decode()
    assert shell_integrity()["/static/app/main.js"] == f"sha384-{digest}"
    main.write_text("// changed\n")
    assert shell_integrity()["/static/app/main.js"] != f"sha384-{digest}"


def test_sw_js_is_served_from_the_root_never_from_a_cache_and_under_the_page_policy():
    response = Client().get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/javascript; charset=utf-8"
    assert response["Cache-Control"] == "no-cache"
    policy = response["Content-Security-Policy"]
    # The push handler opens wakes with libsodium, which compiles WebAssembly.
    assert "script-src 'self' 'wasm-unsafe-eval'" in policy
    assert "'unsafe-inline'" not in policy
    assert worker_config(response.content.decode())["version"] == shell_version()
    assert Client().post("/sw.js").status_code == 405


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR", path
    return struct.unpack(">II", data[16:24])


def test_the_manifest_has_what_browsers_need_to_install_the_app():
    response = Client().get("/manifest.webmanifest")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/manifest+json"
    manifest = json.loads(response.content)
    assert manifest["name"] == "Parley"
    assert manifest["short_name"] == "Parley"
    assert manifest["description"]
    assert manifest["id"] == manifest["start_url"] == manifest["scope"] == "/"
    assert manifest["display"] == "standalone"
    assert re.fullmatch(r"#[0-9a-f]{6}", manifest["theme_color"])
    assert re.fullmatch(r"#[0-9a-f]{6}", manifest["background_color"])

    declared = set()
    for icon in manifest["icons"]:
        assert icon["type"] == "image/png"
        assert icon["src"].startswith("/static/icons/")
        width, height = png_size(STATIC / icon["src"].removeprefix("/static/"))
        assert icon["sizes"] == f"{width}x{height}"
        declared.add((width, icon["purpose"]))
    assert {(192, "any"), (512, "any"), (512, "maskable")} <= declared


def test_the_page_links_the_manifest_icons_and_theme_colour():
    page = Client().get("/").content.decode()
    manifest = json.loads(Client().get("/manifest.webmanifest").content)
    assert '<link rel="manifest" href="/manifest.webmanifest">' in page
    assert f'<meta name="theme-color" content="{manifest["theme_color"]}">' in page
    for rel, size in (("icon", (32, 32)), ("apple-touch-icon", (180, 180))):
        href = re.search(rf'<link rel="{rel}"[^>]* href="/static/([^"]+)"', page)
        assert href, rel
        assert png_size(STATIC / href.group(1)) == size
