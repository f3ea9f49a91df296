"""An exercise folder's import never overwrites what an instructor edited on the site, nor the
tests of an exercise learners have submitted to, unless asked to (issue 20, item 1)."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from core.provenance import ImportPolicy
from grader.models import CodingExercise, Submission
from grader.services import exercise_import, exercise_publish
from tests.factories import SectionFactory, UserFactory
from tests.grader.test_services import FakeRunner

pytestmark = pytest.mark.django_db


@pytest.fixture
def runner() -> FakeRunner:
    return FakeRunner()


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "ex"
    for name in ("starter", "solution", "tests"):
        (root / name).mkdir(parents=True)
    (root / "exercise.toml").write_text('title = "Сумма"\nlanguage = "python"\n', encoding="utf-8")
    (root / "README.md").write_text("Сложите два числа.\n", encoding="utf-8")
    (root / "starter/sol.py").write_text("def add(a, b): raise NotImplementedError\n")
    (root / "solution/sol.py").write_text("def add(a, b): return a + b  # SOLVED\n")
    (root / "tests/test_sol.py").write_text(
        "from sol import add\ndef test_add(): assert add(1, 2) == 3\n"
    )
    return root


def test_a_statement_edited_on_the_site_is_kept_until_overwrite(folder, runner):
    section = SectionFactory.create(number="4.2")
    exercise = exercise_import(path=folder, section=section, runner=runner).exercise
    exercise.statement = "Сложите a и b (исправлено на сайте)."
    exercise.save()
    (folder / "README.md").write_text("Сложите два целых числа.\n", encoding="utf-8")

    dry = exercise_import(path=folder, section=section, runner=runner, dry_run=True)
    result = exercise_import(path=folder, section=section, runner=runner)

    assert dry.check.report == "dry run: the check was not run"
    assert len(runner.calls) == 2  # the first import's check only
    assert dry.kept_edited == result.kept_edited == ("statement",)
    exercise.refresh_from_db()
    assert exercise.statement == "Сложите a и b (исправлено на сайте)."
    assert "--overwrite takes the folder's" in "\n".join(result.lines())

    exercise_import(path=folder, section=section, runner=runner, policy=ImportPolicy.OVERWRITE)
    exercise.refresh_from_db()
    assert exercise.statement.startswith("Сложите два целых числа.")


def test_the_tests_of_an_exercise_with_submissions_change_only_with_overwrite(folder, runner):
    section = SectionFactory.create(number="4.2")
    exercise = exercise_import(path=folder, section=section, runner=runner).exercise
    Submission.objects.create(exercise=exercise, learner=UserFactory.create(), files={"sol.py": ""})
    old_tests = dict(exercise.test_files)
    (folder / "tests/test_sol.py").write_text(
        "from sol import add\ndef test_add(): assert add(2, 2) == 4\n"
    )

    result = exercise_import(path=folder, section=section, runner=runner)

    exercise.refresh_from_db()
    assert exercise.test_files == old_tests
    assert result.kept_learners == ("test_files",)
    assert "learners have submitted to it" in "\n".join(result.lines())

    exercise_import(path=folder, section=section, runner=runner, policy=ImportPolicy.OVERWRITE)
    exercise.refresh_from_db()
    assert "add(2, 2)" in next(iter(exercise.test_files.values()))


def test_an_exercise_hidden_on_the_site_stays_hidden(folder, runner):
    section = SectionFactory.create(number="4.2")
    exercise = exercise_import(path=folder, section=section, runner=runner).exercise
    exercise_publish(exercise=exercise, publish=False)

    exercise_import(path=folder, section=section, runner=runner)

    assert not CodingExercise.objects.get(pk=exercise.pk).is_published


def test_the_command_has_a_dry_run(folder, runner):
    section = SectionFactory.create(number="4.2")
    exercise_import(path=folder, section=section, runner=runner)
    (folder / "README.md").write_text("Другое условие.\n", encoding="utf-8")
    out = StringIO()

    call_command("import_exercise", str(folder), "--section", "4.2", "--dry-run", stdout=out)

    assert "updated exercise" in out.getvalue()
    assert "dry run: nothing was written or run" in out.getvalue()
    assert CodingExercise.objects.get().statement.startswith("Сложите два числа.")
