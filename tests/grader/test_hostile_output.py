"""Whatever learner code prints, its submission reaches a final state and is shown escaped.

Regression (issue 14): on PostgreSQL a solution printing a NUL byte left its submission
`running` for ever (DataError on save, not retried, requeued by the sweep to fail again).
Here the real report parsers of both languages get arbitrary bytes and text, and the
grade is written to the real database (SQLite, and PostgreSQL in CI's second pass).
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any
from unittest import mock

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grader import services
from grader.models import CodingExercise, Submission
from grader.runners.go import GoTestFunction, go_report
from grader.runners.python import python_report
from grader.runners.report import RunReport
from grader.sandbox import Limits, SandboxResult
from grader.services import submission_create, submission_grade
from tests.factories import SectionFactory, UserFactory, exercise_stored

pytestmark = pytest.mark.django_db

LIMITS = Limits(cpu_seconds=1, wall_seconds=2, memory_mb=256, output_kb=64)
ANY_TEXT = st.text(alphabet=st.characters(blacklist_categories=()), max_size=200)
HOSTILE = [
    b"x\x00y",
    "lone \ud800 surrogate".encode("utf-8", "surrogatepass"),
    b"invalid \xff\xfe\xc3 utf-8",
    b"\x1b[31mred\x1b[0m \x1b]0;title\x07",
    b"z" * 1_000_000,  # one line of a megabyte
    b"<script>alert(1)</script>",
]


def sandbox_result(stdout: bytes, stderr: bytes, returncode: int = 1) -> SandboxResult:
    return SandboxResult(
        returncode=returncode, stdout=stdout, stderr=stderr, stdout_truncated=False,
        stderr_truncated=False, timed_out=False, cpu_exceeded=False, memory_exceeded=False,
        wall_seconds=0.1, cpu_seconds=0.05, signal=None,
    )  # fmt: skip


@pytest.fixture
def exercise() -> CodingExercise:
    return exercise_stored(
        section=SectionFactory.create(), slug="probe", title="Probe", statement="Probe.",
        language="python", starter_files={"probe.py": "def probe(): pass"},
        reference_files={"probe.py": "def probe(): return {}"},
        test_files={"test_probe.py": "def test_probe(): pass"}, points=Decimal(10),
        is_published=True, check_status="ok",
    )  # fmt: skip


def graded_with(exercise: CodingExercise, report: RunReport) -> Submission:
    with (
        mock.patch("django.db.transaction.on_commit", lambda f: f()),
        mock.patch.object(services, "submission_queue", return_value=True),
    ):
        submission = submission_create(
            learner=UserFactory.create(), exercise=exercise, files={"probe.py": "x = 1"}
        )
    for _run in range(services.MAX_RUNS):
        outcome = submission_grade(submission_id=submission.pk, runner=lambda **kw: report)
        if not outcome.retry:
            break
    submission.refresh_from_db()
    return submission


def python_from(stdout: bytes, stderr: bytes, name: str, message: str, output: str) -> RunReport:
    data: dict[str, Any] = {
        "done": True,
        "error": None,
        "tests": [{"name": name, "status": "fail", "message": message, "output": output}],
    }
    # What the harness's JSON line gives after json.loads: the strings as drawn.
    return python_report(
        sandbox_result(stdout, stderr), data, limits=LIMITS, test_files={"test_probe.py": ""}
    )


def go_from(stdout: bytes, stderr: bytes, name: str, message: str, output: str) -> RunReport:
    lines = [
        json.dumps({"Action": "run", "Test": name}),
        json.dumps({"Action": "output", "Test": name, "Output": message + "\n" + output}),
        json.dumps({"Action": "fail", "Test": name}),
    ]
    stream = b"\n".join(line.encode("utf-8", "surrogatepass") for line in lines)
    expected = {name: GoTestFunction(name=name, code="", task_id=None)}
    return go_report(
        sandbox_result(stream + b"\n" + stdout, stderr), expected=expected, limits=LIMITS
    )


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    parse=st.sampled_from([python_from, go_from]),
    stdout=st.binary(max_size=300) | st.sampled_from(HOSTILE),
    stderr=st.binary(max_size=300),
    name=ANY_TEXT.filter(bool),
    message=ANY_TEXT,
    output=ANY_TEXT,
)
def test_any_output_ends_in_a_final_state(exercise, parse, stdout, stderr, name, message, output):
    submission = graded_with(exercise, parse(stdout, stderr, name, message, output))

    assert submission.status == "graded", submission.error_reason
    assert submission.verdict
    stored = json.dumps(submission.results, ensure_ascii=False) + submission.stdout
    assert "\x00" not in stored
    stored.encode("utf-8")


@pytest.mark.parametrize("output", HOSTILE)
def test_the_submission_page_shows_hostile_output_escaped(exercise, output):
    report = python_from(output, output, "test_probe", output.decode(errors="replace"), "")
    submission = graded_with(exercise, report)
    client = Client()
    client.force_login(submission.learner)

    page = client.get(f"/submissions/{submission.pk}/").content.decode()

    assert submission.status == "graded"
    assert "\x00" not in page
    assert "\x1b" not in page
    assert "<script>alert(1)</script>" not in page
    if b"\x00" in output:
        assert "x\\x00y" in page
    if b"\x1b" in output:
        assert "\\x1b[31mred" in page


def test_a_grade_the_database_refuses_ends_in_error_not_running_for_ever(exercise):
    """Without the escaping, a lone surrogate is refused by every database driver: the grade
    cannot be stored. The submission must end in `error`, free for the learner, and not be
    claimed again and again."""
    report = python_from(b"out \xed\xa0\x80", b"", "test_probe", "bad \ud800", "")
    report = RunReport(verdict="failed", tests=report.tests, stdout="lone \ud800")
    with (
        mock.patch.object(services, "storable_text", lambda text, limit=None: text),
        mock.patch.object(services, "storable_json", lambda value, **kwargs: value),
    ):
        submission = graded_with(exercise, report)

    assert (submission.status, submission.verdict) == ("error", "internal_error")
    assert submission.runs == services.MAX_RUNS
    assert "storing the grade failed" in submission.error_reason
    submission.error_reason.encode("utf-8")
