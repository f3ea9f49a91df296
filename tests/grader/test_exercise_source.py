"""Exercise folders: our format and Exercism's practice layout; bad folders refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from grader.exercise_source import ExerciseSourceError, load_exercise_source
from grader.runners.policy import Allowances, go_integrity


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


@pytest.fixture
def ours(tmp_path: Path) -> Path:
    root = tmp_path / "4.2-ttl"
    write(root / "exercise.toml", 'title = "Кэш"\nlanguage = "go"\nscoring = "per_task"\n'
          "points = 5\n[limits]\nwall_seconds = 15\n")  # fmt: skip
    write(root / "README.md", "# Кэш\n")
    write(root / "starter/cache.go", "package cache\n")
    write(root / "solution/cache.go", "package cache\n// done\n")
    write(root / "tests/cache_test.go", "package cache\n")
    write(root / "examples/example_test.go", "package cache\n")
    write(root / "go.mod", "module exercise\n\ngo 1.22\n")
    return root


def test_our_format(ours):
    source = load_exercise_source(ours)
    assert (source.slug, source.title, source.language, source.scoring) == (
        "4.2-ttl", "Кэш", "go", "per_task",
    )  # fmt: skip
    assert source.starter_files == {"cache.go": "package cache\n"}
    assert source.reference_files == {"cache.go": "package cache\n// done\n"}
    assert set(source.test_files) == {"cache_test.go"}
    assert set(source.example_files) == {"example_test.go"}
    assert source.support_files["go.mod"].startswith("module exercise")
    assert source.limits["wall_seconds"] == 15.0
    assert source.limits["memory_mb"] == 512  # Go default
    assert source.points == "5"


def test_exercism_python_layout(tmp_path):
    root = tmp_path / "two-fer"
    write(
        root / ".meta/config.json",
        json.dumps(
            {
                "files": {
                    "solution": ["two_fer.py"],
                    "test": ["two_fer_test.py"],
                    "example": [".meta/example.py"],
                }
            }
        ),
    )
    write(root / ".meta/example.py", "def two_fer(name='you'):\n    return f'One for {name}'\n")
    write(root / "two_fer.py", "def two_fer(name='you'):\n    pass\n")
    write(root / "two_fer_test.py", "import unittest\n")
    write(root / ".docs/instructions.md", "# Instructions\n\nSay it.\n")
    write(root / ".docs/instructions.append.md", "Also this.\n")

    source = load_exercise_source(root)

    assert source.layout == "exercism"
    assert source.language == "python"
    assert source.reference_files["two_fer.py"].startswith("def two_fer")
    assert source.starter_files["two_fer.py"].endswith("pass\n")
    assert source.statement.endswith("Also this.\n")
    assert source.scoring == "per_test"


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda r: (r / "exercise.toml").write_text('title = "x"\nlanguage = "rust"\n'),
         "language must be one of"),
        (lambda r: (r / "exercise.toml").write_text('title = "x"\nlanguage = "go"\nfoo = 1\n'),
         "unknown keys"),
        (lambda r: (r / "solution/cache.go").unlink(), "solution: no files"),
        (lambda r: (r / "solution/other.go").write_text("package cache\n"),
         "the reference must have the starter's files"),
        (lambda r: (r / "tests/cache_test.go").write_bytes(b"\xff\xfe"), "not UTF-8"),
        (lambda r: (r / "tests/data.bin").write_bytes(b"\x00\x01"), "binary file"),
        (lambda r: (r / "exercise.toml").write_text('title = "x"\nlanguage = "go"\n[limits]\n'
                                                    "wall_seconds = -1\n"),
         "must be a positive number"),
        (lambda r: (r / "exercise.toml").write_text('title = "x"\nlanguage = "go"\n[integrity]\n'
                                                    'allow = ["reflect"]\n'),
         "unknown \\[integrity\\] keys"),
        (lambda r: (r / "exercise.toml").write_text('title = "x"\nlanguage = "go"\n[integrity]\n'
                                                    'allow_packages = "reflect"\n'),
         "must be a list of strings"),
        (lambda r: (r / "exercise.toml").write_text('title = "x"\nlanguage = "go"\n[integrity]\n'
                                                    'allow_functions = ["Exit"]\n'),
         "is not a package's object"),
        (lambda r: (r / "exercise.toml").write_text('title = "x"\nlanguage = "python"\n'
                                                    '[integrity]\nallow_packages = ["os"]\n'),
         "applies to Go exercises only"),
    ],
)  # fmt: skip
def test_bad_folders_are_refused(ours, mutate, message):
    mutate(ours)
    with pytest.raises(ExerciseSourceError, match=message):
        load_exercise_source(ours)


def test_a_go_exercise_may_allow_more_and_is_then_in_process(ours):
    # given an exercise about reflect, which the default Go policy refuses
    (ours / "exercise.toml").write_text(
        'title = "x"\nlanguage = "go"\n[integrity]\nallow_packages = ["reflect"]\n'
        'allow_functions = ["os.Exit", "os.Exit"]\n'
    )
    # when it is read
    source = load_exercise_source(ours)
    # then it carries what it allows, stored as JSON, and it is in-process
    assert source.allowances == Allowances(packages=("reflect",), functions=("os.Exit",))
    assert source.allowances.to_json() == {"packages": ["reflect"], "functions": ["os.Exit"]}
    assert Allowances.from_json(source.allowances.to_json()) == source.allowances
    assert go_integrity(source.allowances) == "in-process"


def test_an_exercise_under_the_default_policy_is_checked(ours):
    source = load_exercise_source(ours)
    assert source.allowances.default
    assert source.allowances.to_json() == {}
    assert go_integrity(source.allowances) == "checked"


@pytest.mark.parametrize(
    ("allowances", "processes"),
    [
        (Allowances(packages=("os/exec",)), True),
        (Allowances(functions=("os.StartProcess",)), True),
        (Allowances(packages=("syscall",)), False),  # raw calls stay under the filter
        (Allowances(packages=("reflect",), functions=("os.Exit",)), False),
    ],
)
def test_only_allowing_programs_lifts_the_guards_process_rules(allowances, processes):
    assert allowances.processes is processes


def test_not_an_exercise_folder(tmp_path):
    with pytest.raises(ExerciseSourceError, match="not an exercise folder"):
        load_exercise_source(tmp_path)
