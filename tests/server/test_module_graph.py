"""signal_server/module_graph.py: which imports count as static (preloaded) and which do
not. e2e/test_boot_modules.py checks the whole graph against what Chromium loads."""

from django.test import override_settings

from signal_server.module_graph import dynamic_imports, module_graph, static_imports


def test_static_imports_and_re_exports_count_dynamic_imports_and_comments_do_not():
    source = """
import { a, b } from './a.js';
import c from "../c.js";
import './side-effect.js';
import {
  d,
  e,
} from './multi-line.js';
export { f } from './re-export.js';
export * from './star.js';
// import { g } from './commented.js';
/* import { h } from './block-commented.js'; */
const later = await import('./dynamic.js');
import { sodium } from 'libsodium'; // a bare specifier is no file of ours
const text = 'import x from "./in-a-string.js"';
"""
    assert static_imports(source) == [
        "./a.js",
        "../c.js",
        "./side-effect.js",
        "./multi-line.js",
        "./re-export.js",
        "./star.js",
    ]


def test_the_graph_starts_at_main_and_reaches_the_vendored_libraries():
    graph = module_graph()
    assert graph[0] == "app/main.js"
    assert len(graph) == len(set(graph))
    assert {"app/files/merkle.js", "vendor/libsodium.js", "vendor/idb.js"} <= set(graph)
    assert "app/app-start.js" in graph  # main.js's own import(): it loads at boot
    assert "app/ui/backup-dialog.js" not in graph  # another module's import(): later


def test_dynamic_imports_are_read_apart():
    source = "import './a.js';\nconst b = await import('./b.js');\n// import('./c.js')\n"
    assert dynamic_imports(source) == ["./b.js"]
    assert static_imports(source) == ["./a.js"]


def test_a_broken_import_leaves_the_page_to_the_browser_and_does_not_fail_the_server(tmp_path):
    static = tmp_path / "static"
    (static / "app").mkdir(parents=True)
    (static / "app" / "main.js").write_text(
        "import './gone.js';\nimport '../../../outside.js';\nimport './here.js';\n"
    )
    (static / "app" / "here.js").write_text("export {};\n")
    with override_settings(STATICFILES_DIRS=[static], DEBUG=True):
        assert module_graph() == ("app/main.js", "app/gone.js", "app/here.js")
