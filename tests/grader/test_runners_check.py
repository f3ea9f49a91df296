"""The start-up check of the code runners: one line per broken language, with its fix."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from grader import sandbox
from grader.runners import go, runners_problems
from tests.factories import exercise_stored

pytestmark = [pytest.mark.slow, pytest.mark.no_database, pytest.mark.usefixtures("need_sandbox")]


def test_a_working_machine_has_no_problems(capsys):
    assert runners_problems() == []
    call_command("check_sandbox")
    assert "Python and Go code runs work here" in capsys.readouterr().out


def test_no_bubblewrap_is_one_line_per_language_with_the_fix(monkeypatch):
    monkeypatch.setattr(sandbox, "_bwrap_path", lambda: None)
    monkeypatch.setattr(settings, "GRADER_ALLOW_UNSANDBOXED", False)

    problems = runners_problems()

    assert [p.split(" ", 1)[0] for p in problems] == ["Python", "Go"]
    assert all("\n" not in p and "apt-get install bubblewrap" in p for p in problems)
    with pytest.raises(CommandError, match="bubblewrap"):
        call_command("check_sandbox")


def test_a_missing_go_toolchain_is_named(monkeypatch):
    go.go_root.cache_clear()
    monkeypatch.setattr(settings, "GRADER_GOROOT", "/nonexistent/go")
    try:
        (problem,) = runners_problems()
    finally:
        go.go_root.cache_clear()
    assert problem.startswith("Go code cannot run in the sandbox: no Go toolchain at /nonexistent")


@pytest.mark.django_db
def test_check_exercises_says_why_once_instead_of_failing_every_exercise(monkeypatch):
    from grader.models import CodingExercise
    from tests.factories import SectionFactory

    exercise_stored(
        section=SectionFactory.create(), slug="x", title="X", statement="X", language="go",
    )  # fmt: skip
    monkeypatch.setattr(sandbox, "_bwrap_path", lambda: None)
    monkeypatch.setattr(settings, "GRADER_ALLOW_UNSANDBOXED", False)
    with pytest.raises(CommandError, match=r"cannot run in the sandbox.*Fix:"):
        call_command("check_exercises")
    assert CodingExercise.objects.get().check_status == "unchecked"  # nothing was run
