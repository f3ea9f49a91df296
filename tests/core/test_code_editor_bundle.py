"""The committed code editor bundle is built from the committed source with the versions
package-lock.json pins (bin/build-editor writes built-from.json beside it), so the quick
start, which has no npm, serves what the repository says it does."""

from __future__ import annotations

import hashlib
import json

from tests.conftest import REPO_DIR

STATIC = REPO_DIR / "grader" / "static" / "code-editor"
BUNDLE = STATIC / "code-editor.min.js"


def test_the_bundle_is_built_from_the_committed_source():
    built_from = json.loads((STATIC / "built-from.json").read_text())
    source = (REPO_DIR / "frontend" / "editor" / "index.js").read_bytes()

    assert built_from["source_sha256"] == hashlib.sha256(source).hexdigest(), (
        "frontend/editor/index.js changed since the bundle was built: run bin/build-editor"
    )


def test_the_bundle_is_built_with_the_locked_package_versions():
    built_from = json.loads((STATIC / "built-from.json").read_text())
    lock = json.loads((REPO_DIR / "package-lock.json").read_text())
    locked = {
        path.removeprefix("node_modules/"): entry["version"]
        for path, entry in lock["packages"].items()
        if path.startswith(("node_modules/@codemirror/", "node_modules/@lezer/"))
        or path == "node_modules/esbuild"
    }

    assert built_from["packages"] == locked, "package-lock.json changed: run bin/build-editor"
    declared = json.loads((REPO_DIR / "package.json").read_text())["devDependencies"]
    for name in ("@codemirror/lang-go", "@codemirror/lang-python", "@codemirror/view"):
        assert declared[name] == locked[name]


def test_the_bundle_is_minified_and_holds_codemirror_with_go_and_python():
    text = BUNDLE.read_text()

    assert len(text.splitlines()) < 50  # minified, not a development build
    assert "ZachetCodeEditor" in text
    assert "cm-editor" in text  # CodeMirror's view
    assert "fallthrough" in text  # Go's grammar (a keyword only Go has)
    assert "nonlocal" in text  # Python's
    assert "http://" not in text.replace("http://www.w3.org", "")  # nothing fetched at run time
