"""Exercise folders, read and validated (no database): ours and Exercism's practice layout.

Our format (docs/grader.md): exercise.toml, README.md, starter/, solution/, tests/,
examples/, go.mod. Exercism's Go and Python tracks: .meta/config.json naming the
solution, test and example files, .docs/instructions.md, go.mod.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from grader.runners.files import MAX_FILES, MAX_TOTAL_BYTES
from grader.runners.policy import DEFAULT_ALLOWANCES, Allowances

LANGUAGES = ("go", "python")
SCORINGS = ("all_or_nothing", "per_test", "per_task")
# A file set's limits are the runs' (grader.runners.files), defined there once.
MAX_BYTES = MAX_TOTAL_BYTES
DEFAULT_LIMITS = {
    "go": {"cpu_seconds": 10.0, "wall_seconds": 20.0, "memory_mb": 512, "output_kb": 64},
    "python": {"cpu_seconds": 5.0, "wall_seconds": 10.0, "memory_mb": 256, "output_kb": 64},
}


class ExerciseSourceError(Exception):
    """A bad exercise folder; the message names the file."""


@dataclass(frozen=True)
class ExerciseSource:
    slug: str
    title: str
    language: str
    statement: str
    starter_files: dict[str, str]
    test_files: dict[str, str]
    reference_files: dict[str, str]
    example_files: dict[str, str] = field(default_factory=dict)
    support_files: dict[str, str] = field(default_factory=dict)
    scoring: str = "per_test"
    points: str = "10"
    limits: dict[str, Any] = field(default_factory=dict)
    source_path: str = ""
    layout: str = "zachet"
    # What Go learner code may use beyond the default policy ([integrity] in exercise.toml);
    # anything here makes the exercise `in-process` (grader.runners.policy).
    allowances: Allowances = DEFAULT_ALLOWANCES


def read_code_file(path: Path) -> str:
    """A source file as UTF-8 text: binary and non-UTF-8 files are refused, not guessed."""
    if not path.is_file():
        raise ExerciseSourceError(f"{path}: file not found")
    data = path.read_bytes()
    if len(data) > MAX_BYTES:
        raise ExerciseSourceError(f"{path}: larger than {MAX_BYTES // 1024} KB")
    if b"\x00" in data:
        raise ExerciseSourceError(f"{path}: binary file")
    try:
        return data.decode("utf-8").replace("\r\n", "\n")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise ExerciseSourceError(f"{path}:{line}: not UTF-8") from None


def _read_tree(root: Path, folder: str, *, required: bool) -> dict[str, str]:
    base = root / folder
    if not base.is_dir():
        if required:
            raise ExerciseSourceError(f"{base}: folder missing")
        return {}
    files = {
        str(PurePosixPath(*path.relative_to(base).parts)): read_code_file(path)
        for path in sorted(base.rglob("*"))
        if path.is_file() and not path.name.startswith(".")
    }
    return _checked(files, where=str(base), required=required)


def _checked(files: dict[str, str], *, where: str, required: bool) -> dict[str, str]:
    if required and not files:
        raise ExerciseSourceError(f"{where}: no files")
    if len(files) > MAX_FILES:
        raise ExerciseSourceError(f"{where}: more than {MAX_FILES} files")
    if sum(len(text.encode()) for text in files.values()) > MAX_BYTES:
        raise ExerciseSourceError(f"{where}: more than {MAX_BYTES // 1024} KB")
    return files


def load_exercise_source(path: Path) -> ExerciseSource:
    """Read an exercise folder in our format or Exercism's."""
    if not path.is_dir():
        raise ExerciseSourceError(f"{path}: not a folder")
    if (path / "exercise.toml").is_file():
        return _load_zachet(path)
    if (path / ".meta" / "config.json").is_file():
        return _load_exercism(path)
    raise ExerciseSourceError(
        f"{path}: not an exercise folder (needs exercise.toml, or Exercism's .meta/config.json)"
    )


def _load_zachet(path: Path) -> ExerciseSource:
    toml_path = path / "exercise.toml"
    try:
        config = tomllib.loads(read_code_file(toml_path))
    except tomllib.TOMLDecodeError as error:
        raise ExerciseSourceError(f"{toml_path}: {error}") from None
    unknown = set(config) - {
        "title", "language", "points", "scoring", "limits", "slug", "integrity",
    }  # fmt: skip
    if unknown:
        raise ExerciseSourceError(f"{toml_path}: unknown keys {sorted(unknown)}")
    language = config.get("language")
    if language not in LANGUAGES:
        raise ExerciseSourceError(f"{toml_path}: language must be one of {LANGUAGES}")
    title = config.get("title")
    if not isinstance(title, str) or not title.strip():
        raise ExerciseSourceError(f"{toml_path}: title is required")
    scoring = config.get("scoring", "per_test")
    if scoring not in SCORINGS:
        raise ExerciseSourceError(f"{toml_path}: scoring must be one of {SCORINGS}")
    starter = _read_tree(path, "starter", required=True)
    reference = _read_tree(path, "solution", required=True)
    if set(reference) != set(starter):
        raise ExerciseSourceError(
            f"{path / 'solution'}: the reference must have the starter's files "
            f"{sorted(starter)}, has {sorted(reference)}"
        )
    support = {"go.mod": read_code_file(path / "go.mod")} if (path / "go.mod").is_file() else {}
    return ExerciseSource(
        slug=str(config.get("slug") or path.resolve().name),
        title=title.strip(),
        language=language,
        statement=read_code_file(path / "README.md") if (path / "README.md").is_file() else "",
        starter_files=starter,
        test_files=_read_tree(path, "tests", required=True),
        reference_files=reference,
        example_files=_read_tree(path, "examples", required=False),
        support_files=support,
        scoring=scoring,
        points=str(config.get("points", 10)),
        limits=_limits(config.get("limits", {}), language=language, where=str(toml_path)),
        source_path=str(path),
        allowances=_allowances(
            config.get("integrity", {}), language=language, where=str(toml_path)
        ),
    )


def _allowances(given: Any, *, language: str, where: str) -> Allowances:
    """`[integrity] allow_packages = [...]`, `allow_functions = [...]` (Go only)."""
    if not isinstance(given, dict):
        raise ExerciseSourceError(f"{where}: [integrity] must be a table")
    unknown = set(given) - {"allow_packages", "allow_functions"}
    if unknown:
        raise ExerciseSourceError(f"{where}: unknown [integrity] keys {sorted(unknown)}")
    if given and language != "go":
        raise ExerciseSourceError(
            f"{where}: [integrity] applies to Go exercises only (the policy it relaxes is Go's)"
        )
    lists = {}
    for key in ("allow_packages", "allow_functions"):
        value = given.get(key, [])
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise ExerciseSourceError(f"{where}: [integrity] {key} must be a list of strings")
        lists[key] = tuple(dict.fromkeys(value))
    allowances = Allowances(packages=lists["allow_packages"], functions=lists["allow_functions"])
    if problems := allowances.problems():
        raise ExerciseSourceError(f"{where}: [integrity] " + "; ".join(problems))
    return allowances


def _limits(given: Any, *, language: str, where: str) -> dict[str, Any]:
    if not isinstance(given, dict):
        raise ExerciseSourceError(f"{where}: [limits] must be a table")
    limits = dict(DEFAULT_LIMITS[language])
    for key, value in given.items():
        if key not in limits:
            raise ExerciseSourceError(f"{where}: unknown limit {key!r}")
        if not isinstance(value, int | float) or isinstance(value, bool) or value <= 0:
            raise ExerciseSourceError(f"{where}: limit {key} must be a positive number")
        limits[key] = type(limits[key])(value)
    return limits


def _load_exercism(path: Path) -> ExerciseSource:
    config_path = path / ".meta" / "config.json"
    try:
        config = json.loads(read_code_file(config_path))
        files = config["files"]
        solution_names = list(files["solution"])
        test_names = list(files["test"])
        example_names = list(files["example"])
    except (json.JSONDecodeError, KeyError, TypeError) as error:
        raise ExerciseSourceError(
            f"{config_path}: expected files.solution, files.test and files.example ({error})"
        ) from None
    language = "go" if any(n.endswith(".go") for n in solution_names) else "python"
    if language == "python" and not all(n.endswith(".py") for n in solution_names):
        raise ExerciseSourceError(f"{config_path}: only Go and Python exercises are supported")
    starter = {name: read_code_file(path / name) for name in solution_names}
    examples = [read_code_file(path / name) for name in example_names]
    if len(examples) != len(solution_names):
        raise ExerciseSourceError(
            f"{config_path}: {len(solution_names)} solution files but {len(examples)} example files"
        )
    # Exercism's example files are the reference solution of the solution files, in order.
    reference = dict(zip(solution_names, examples, strict=True))
    tests = _checked(
        {name: read_code_file(path / name) for name in test_names}, where=str(path), required=True
    )
    instructions = path / ".docs" / "instructions.md"
    statement = read_code_file(instructions) if instructions.is_file() else ""
    append = path / ".docs" / "instructions.append.md"
    if append.is_file():
        statement = statement.rstrip() + "\n\n" + read_code_file(append)
    support = {"go.mod": read_code_file(path / "go.mod")} if (path / "go.mod").is_file() else {}
    slug = path.resolve().name
    return ExerciseSource(
        slug=slug,
        title=str(config.get("title") or slug.replace("-", " ").capitalize()),
        language=language,
        statement=statement,
        starter_files=_checked(starter, where=str(path), required=True),
        test_files=tests,
        reference_files=reference,
        support_files=support,
        scoring="per_task" if _has_task_ids(tests) else "per_test",
        limits=dict(DEFAULT_LIMITS[language]),
        source_path=str(path),
        layout="exercism",
    )


def _has_task_ids(tests: dict[str, str]) -> bool:
    return any("testRunnerTaskID=" in t or "mark.task(" in t for t in tests.values())
