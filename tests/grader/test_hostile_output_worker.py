# ruff: noqa: E501 - the programs under test read better unwrapped
"""Hostile output from real learner programs, through a real worker and the sandbox, on the
suite's database (SQLite, and PostgreSQL in CI's second pass): every submission is graded
with a verdict and its page shows the output escaped.

Regression (issue 14): on PostgreSQL, `print("x\\x00y")` or a Go program printing
/proc/1/environ left the submission `running` for ever.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client

from grader.models import CodingExercise, Submission
from grader.services import submission_create
from tests.conftest import celery_worker
from tests.factories import SectionFactory, UserFactory, exercise_stored
from tests.grader.test_grading_worker import wait_graded

pytestmark = [pytest.mark.slow, pytest.mark.services, pytest.mark.usefixtures("need_sandbox")]

PYTHON_TEST = "from probe import probe\n\n\ndef test_probe():\n    assert probe() == 1\n"
PYTHON = {
    "nul": 'print("import x\\x00y")\n\ndef probe():\n    print("x\\x00y")\n    return 1\n',
    "surrogate": 'def probe():\n    print("lone \\ud800 surrogate")\n    return 1\n',
    "ten_megabytes": 'import sys\n\ndef probe():\n    for _ in range(10):\n        sys.stdout.write("y" * 1_000_000)\n    return 1\n',
    "invalid_utf8": 'import os\n\nos.write(1, b"\\xff\\xfe\\xed\\xa0\\x80 import\\n")\n\ndef probe():\n    print(b"\\xff\\xfe".decode("utf-8", "surrogateescape"))\n    return 1\n',
    "ansi": 'def probe():\n    print("\\x1b[31mred\\x1b[0m \\x1b]0;title\\x07 \\x9b2J")\n    return 1\n',
    "one_megabyte_line": 'def probe():\n    print("z" * 1_000_000)\n    return 1\n',
}
GO_TEST = 'package exercise\n\nimport "testing"\n\nfunc TestProbe(t *testing.T) {\n\tif Probe() != 1 {\n\t\tt.Fatal("wrong")\n\t}\n}\n'
GO_HEAD = 'package exercise\n\nimport (\n\t"fmt"\n\t"os"\n\t"strings"\n)\n\nvar _ = strings.Repeat\nvar _ = os.Stdout\nvar _ = fmt.Sprint\n\n'
GO = {
    "nul": GO_HEAD + 'func Probe() int {\n\tfmt.Print("x\\x00y\\n")\n\treturn 1\n}\n',
    "environ": GO_HEAD
    + 'func Probe() int {\n\tdata, _ := os.ReadFile("/proc/1/environ")\n\tos.Stdout.Write(data)\n\tdata, _ = os.ReadFile("/proc/self/environ")\n\tos.Stdout.Write(data)\n\tfmt.Println()\n\treturn 1\n}\n',
    "surrogate": GO_HEAD
    + 'func Probe() int {\n\tos.Stdout.Write([]byte("lone \\xed\\xa0\\x80 surrogate\\n"))\n\treturn 1\n}\n',
    "ten_megabytes": GO_HEAD
    + 'func Probe() int {\n\tfor i := 0; i < 10; i++ {\n\t\tos.Stdout.WriteString(strings.Repeat("y", 1000000))\n\t}\n\treturn 1\n}\n',
    "invalid_utf8": GO_HEAD
    + "func Probe() int {\n\tos.Stdout.Write([]byte{0xff, 0xfe, 0xc3, 0x0a})\n\treturn 1\n}\n",
    "ansi": GO_HEAD
    + 'func Probe() int {\n\tfmt.Println("\\x1b[31mred\\x1b[0m \\x1b]0;title\\x07")\n\treturn 1\n}\n',
    "one_megabyte_line": GO_HEAD
    + 'func Probe() int {\n\tfmt.Println(strings.Repeat("z", 1000000))\n\treturn 1\n}\n',
}


def exercise_for(language: str) -> CodingExercise:
    if language == "python":
        files, tests, support = "probe.py", {"test_probe.py": PYTHON_TEST}, {}
    else:
        files, tests = "probe.go", {"probe_test.go": GO_TEST}
        support = {"go.mod": "module exercise\n\ngo 1.21\n"}
    return exercise_stored(
        section=SectionFactory.create(), slug=f"hostile-{language}", title="Probe",
        statement="Probe.", language=language, starter_files={files: ""},
        reference_files={files: ""}, test_files=tests, support_files=support,
        points=Decimal(10), is_published=True, check_status="ok", output_kb=64,
    )  # fmt: skip


@pytest.mark.parametrize("language", ["python", "go"])
def test_hostile_output_is_graded_and_shown_escaped(live_worker_env, go_cache, language):
    env = {**live_worker_env, "GRADER_GO_CACHE": str(go_cache)}
    exercise = exercise_for(language)
    (filename,) = exercise.starter_files
    programs = PYTHON if language == "python" else GO
    learner = UserFactory.create()
    with celery_worker(env, queues="code"):
        submissions = {
            name: submission_create(learner=learner, exercise=exercise, files={filename: code})
            for name, code in programs.items()
        }
        wait_graded([s.pk for s in submissions.values()], timeout=180)

    client = Client()
    client.force_login(learner)
    for name, submission in submissions.items():
        submission = Submission.objects.get(pk=submission.pk)
        assert submission.status == "graded", (name, submission.error_reason)
        # Printing inside a test is captured and capped (passed); past the output limit
        # outside the capture, the run is stopped (output_limit). Never an error.
        assert submission.verdict in {"passed", "output_limit"}, (name, submission.results)
        page = client.get(f"/submissions/{submission.pk}/")
        assert page.status_code == 200
        html = page.content.decode()
        for unsafe in ("\x00", "\x1b", "\ud800"):
            assert unsafe not in html, name
        if name == "nul":
            assert "x\\x00y" in html, name
        if name == "ansi":
            assert "\\x1b[31mred" in html, name
