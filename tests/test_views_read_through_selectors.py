"""Views validate, make one call and serialize (STYLE.md, issue 21): no view module of any app
reaches for a model's manager or looks rows up itself; reads are selectors', writes services'.

Read from the source with `ast`. What it cannot see (a lazy relation read in a template, a
query per row) the constant-query tests of each app's pages and lists catch."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import REPO_DIR
from tests.test_dependencies import APPS

# Looked up by name: what a view must not call to read or write rows.
FORBIDDEN_CALLS = {"get_object_or_404", "get_list_or_404"}


def view_modules(root: Path = REPO_DIR) -> list[Path]:
    found = []
    for app in APPS:
        found += [root / app / "views.py", root / app / "api" / "views.py"]
    return [path for path in found if path.is_file()]


def row_reads(path: Path, root: Path = REPO_DIR) -> list[str]:
    """Each `.objects` use (but `Model.objects.none()`, a schema's empty queryset) and each
    forbidden call, as "file:line what"."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    allowed: set[int] = set()
    for node in ast.walk(tree):
        # Model.objects.none(): the schema generator's queryset, never evaluated
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "none"
            and isinstance(node.func.value, ast.Attribute)
            and node.func.value.attr == "objects"
        ):
            allowed.add(id(node.func.value))
    found = []
    where = path.relative_to(root)
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr == "objects" and id(node) not in allowed:
            found.append(f"{where}:{node.lineno} .objects")
        if isinstance(node, ast.Name) and node.id in FORBIDDEN_CALLS:
            found.append(f"{where}:{node.lineno} {node.id}")
    return found


def test_no_view_module_reads_rows_itself():
    modules = view_modules()
    assert len(modules) >= 10  # (the apps' pages and API: the test looks at something)
    assert [read for path in modules for read in row_reads(path)] == []


def test_the_check_finds_a_view_that_queries(tmp_path: Path):
    # The guard itself: a view with a lookup and a manager call is named, line by line.
    views = tmp_path / "views.py"
    views.write_text(
        "from django.shortcuts import get_object_or_404\n"
        "def view(request, pk):\n"
        "    quiz = get_object_or_404(Quiz, pk=pk)\n"
        "    return Quiz.objects.filter(pk=pk), Quiz.objects.none()\n",
        encoding="utf-8",
    )
    assert sorted(row_reads(views, root=tmp_path)) == [
        "views.py:3 get_object_or_404",
        "views.py:4 .objects",
    ]
