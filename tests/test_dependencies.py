"""The apps' imports run one way (issue 13): no circles, and nothing below the grading apps
(progress, webhooks, courses, deadlines, api, accounts, core, counters) imports quizzes or grader.
deadlines sits below courses (which import its Scheduled dates): its models name items by
string; its writes that need enrolments or grading rows are in teaching.deadlines.

Read from the source with `ast`, function-level imports included: an import inside a function
is an arrow all the same."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

from tests.conftest import REPO_DIR

# Every package at the top of the repository but the tests' and the benchmarks': found, not
# listed, so a new app is checked from its first commit (deadlines was missed while listed).
APPS = sorted(
    path.parent.name
    for path in REPO_DIR.glob("*/__init__.py")
    if path.parent.name not in {"tests", "bench"}
)
BELOW_GRADING = {
    "accounts", "api", "core", "counters", "courses", "deadlines", "progress", "webhooks",
}  # fmt: skip


def app_imports(root: Path = REPO_DIR) -> dict[str, dict[str, set[str]]]:
    """app -> imported app -> the files that import it."""
    found: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for app in APPS:
        for path in (root / app).rglob("*.py"):
            relative = path.relative_to(root)
            if "migrations" in relative.parts or relative.parts[:2] == ("demo", "exercises"):
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                    names = [node.module]
                elif isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                else:
                    continue
                for name in names:
                    top = name.split(".")[0]
                    if top in APPS and top != app:
                        found[app][top].add(str(relative))
    return found


def test_nothing_below_the_grading_apps_imports_them():
    imports = app_imports()
    wrong = {
        f"{app} -> {target}: {sorted(files)}"
        for app in BELOW_GRADING
        for target, files in imports[app].items()
        if target in {"quizzes", "grader", "demo", "config"}
    }
    assert not wrong


def test_the_apps_import_each_other_without_circles():
    imports = app_imports()

    def reachable(start: str) -> set[str]:
        seen: set[str] = set()
        todo = [start]
        while todo:
            for target in imports[todo.pop()]:
                if target not in seen:
                    seen.add(target)
                    todo.append(target)
        return seen

    circles = sorted(
        f"{app} -> {target} ({sorted(imports[app][target])[0]})"
        for app in APPS
        for target in imports[app]
        if app in reachable(target)
    )
    assert not circles


def test_the_check_sees_an_import_inside_a_function(tmp_path: Path):
    (tmp_path / "progress").mkdir()
    (tmp_path / "progress" / "late.py").write_text(
        "def f():\n    from quizzes.models import Quiz\n    import grader.models\n"
    )
    imports = app_imports(tmp_path)
    assert set(imports["progress"]) == {"quizzes", "grader"}


def environment_reads(root: Path = REPO_DIR) -> list[str]:
    """`os.environ.get(...)`, `os.getenv(...)` and `os.environ[...]` read outside
    config/settings.py (every knob is a setting there; issue 13). Setting a variable and
    handing the environment to a child process are not reads."""
    reads = []
    for app in APPS:
        for path in (root / app).rglob("*.py"):
            relative = path.relative_to(root)
            if relative == Path("config/settings.py") or relative.parts[:2] == (
                "demo",
                "exercises",
            ):
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                text = ast.unparse(node) if isinstance(node, ast.Call | ast.Subscript) else ""
                if text.startswith(("os.environ.get(", "os.getenv(")) or (
                    isinstance(node, ast.Subscript)
                    and text.startswith("os.environ[")
                    and isinstance(node.ctx, ast.Load)
                ):
                    reads.append(f"{relative}:{getattr(node, 'lineno', 0)}: {text}")
    return reads


def test_every_knob_is_read_in_the_settings_module() -> None:
    assert environment_reads() == []


def test_the_environment_check_finds_a_read(tmp_path: Path) -> None:
    (tmp_path / "grader").mkdir()
    (tmp_path / "grader" / "x.py").write_text('import os\nA = os.environ.get("GRADER_X")\n')
    (tmp_path / "grader" / "y.py").write_text('import os\nos.environ["B"] = "1"\n')
    assert environment_reads(tmp_path) == ["grader/x.py:2: os.environ.get('GRADER_X')"]
