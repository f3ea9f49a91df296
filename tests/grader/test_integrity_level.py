"""Each exercise says how sure its passes are to be the learner's work (issue 27, item 3):
isolated (Python), checked (Go, default policy), in-process (Go allowing more)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.test import Client

from grader.exercise_source import ExerciseSourceError, load_exercise_source
from grader.models import CodingExercise
from tests.factories import SectionFactory, exercise_stored


def go_folder(tmp_path: Path, integrity: str = "") -> Path:
    root = tmp_path / "ex"
    for name in ("starter", "solution", "tests"):
        (root / name).mkdir(parents=True, exist_ok=True)
    (root / "exercise.toml").write_text(
        f'title = "Сумма"\nlanguage = "go"\n{integrity}', encoding="utf-8"
    )
    (root / "starter/add.go").write_text("package add\n")
    (root / "solution/add.go").write_text("package add\n")
    (root / "tests/add_test.go").write_text("package add\n")
    return root


def test_an_exercise_toml_may_allow_more_than_the_go_policy(tmp_path):
    source = load_exercise_source(
        go_folder(
            tmp_path,
            '[integrity]\nallow_packages = ["reflect", "reflect"]\nallow_functions = ["os.Exit"]\n',
        )
    )
    assert source.allowances.to_json() == {"packages": ["reflect"], "functions": ["os.Exit"]}
    assert load_exercise_source(go_folder(tmp_path / "plain")).allowances.default


@pytest.mark.parametrize(
    ("integrity", "message"),
    [
        (
            "[integrity]\nallow_everything = true\n",
            r"unknown \[integrity\] keys \['allow_everything'\]",
        ),
        (
            '[integrity]\nallow_packages = "reflect"\n',
            r"\[integrity\] allow_packages must be a list of strings",
        ),
        ("integrity = 3\n", r"\[integrity\] must be a table"),
    ],
)
def test_a_bad_integrity_table_is_refused_naming_the_file(tmp_path, integrity, message):
    with pytest.raises(ExerciseSourceError, match=r"exercise\.toml: " + message):
        load_exercise_source(go_folder(tmp_path, integrity))


def test_python_exercises_take_no_allowances(tmp_path):
    root = go_folder(tmp_path, '[integrity]\nallow_packages = ["ctypes"]\n')
    toml = (root / "exercise.toml").read_text(encoding="utf-8").replace('"go"', '"python"')
    (root / "exercise.toml").write_text(toml, encoding="utf-8")
    with pytest.raises(ExerciseSourceError, match="applies to Go exercises only"):
        load_exercise_source(root)


@pytest.mark.parametrize(
    ("language", "allow", "level"),
    [
        ("python", {}, "isolated"),
        ("go", {}, "checked"),
        ("go", {"packages": ["reflect"]}, "in-process"),
    ],
)
def test_the_level_follows_the_language_and_the_allowances(language, allow, level):
    exercise = CodingExercise(language=language, allowances=allow)
    assert exercise.integrity_level == level


def test_allowances_are_part_of_what_grades_are_graded_against():
    exercise = CodingExercise(language="go", test_files={"a_test.go": "package a"})
    plain = exercise.current_tests_version()
    exercise.allowances = {"functions": ["os.Exit"]}
    assert exercise.current_tests_version() != plain


@pytest.mark.django_db
def test_the_admin_lists_the_level():
    admin = User.objects.create_superuser("root", "root@example.com", "pw")
    section = SectionFactory.create()
    exercise_stored(
        section=section, slug="a", title="Go, больше разрешено", statement="", language="go",
        allowances={"packages": ["reflect"]},
    )  # fmt: skip
    client = Client()
    client.force_login(admin)
    page = client.get("/admin/grader/codingexercise/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "in process: a learner could forge a pass" in page
