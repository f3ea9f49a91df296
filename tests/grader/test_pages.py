"""The learner's code exercise pages: exercise and editor, submit, live result, history, states."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from courses.models import Section
from grader import services
from grader.exercise_source import MAX_BYTES
from grader.models import CodingExercise, Submission
from grader.selectors import HISTORY_LIMIT, exercise_states_for
from progress.models import Enrollment
from tests.factories import SectionFactory, UserFactory, exercise_stored

pytestmark = pytest.mark.django_db

# Text that must never reach a learner's page.
HIDDEN_TEST = "hiddenTestSecret_7f3a"
REFERENCE = "referenceSolutionSecret_91b2"
TEST_CODE = "testCodeOfAHiddenTest_c0de"

STARTER = "package cache\n\n// TODO: Get\n"
EXAMPLE = "package cache\n\nfunc ExampleGet() { /* visible example */ }\n"


def make_exercise(section: Section | None = None, **fields: Any) -> CodingExercise:
    values: dict[str, Any] = {
        "section": section or SectionFactory.create(),
        "slug": f"ttl-{CodingExercise.objects.count()}",
        "title": "TTL-кэш",
        "statement": "# TTL-кэш\n\nСделайте **кэш**.\n\n<script>alert('x')</script>\n",
        "language": "go",
        "starter_files": {"cache.go": STARTER},
        "example_files": {"cache_example_test.go": EXAMPLE},
        "test_files": {"cache_test.go": f"package cache // {HIDDEN_TEST}"},
        "reference_files": {"cache.go": f"package cache // {REFERENCE}"},
        "support_files": {"go.mod": "module cache"},
        "points": Decimal(10),
        "is_published": True,
        "check_status": CodingExercise.CheckStatus.OK,
    }
    values.update(fields)
    return exercise_stored(**values)


def graded(exercise: CodingExercise, learner: User, **fields: Any) -> Submission:
    """A failed submission as submission_grade stores it (results.json v3 with test_code)."""
    values: dict[str, Any] = {
        "files": {"cache.go": "package cache // my attempt"},
        "status": Submission.Status.GRADED,
        "verdict": Submission.Verdict.FAILED,
        "score": Decimal("5"),
        "tests_passed": 1,
        "tests_total": 2,
        "results": {
            "version": 3,
            "status": "fail",
            "tests": [
                {"name": "TestGetHit", "status": "pass", "test_code": TEST_CODE},
                {
                    "name": "TestGetExpired",
                    "status": "fail",
                    "message": "expected 2 loads, got 1",
                    "output": "loading key a\n",
                    "test_code": TEST_CODE,
                },
            ],
        },
        "stdout": f"--- FAIL: TestGetExpired {HIDDEN_TEST}",
        "stderr": f"{HIDDEN_TEST}",
    }
    values.update(fields)
    return Submission.objects.create(learner=learner, exercise=exercise, **values)


@pytest.fixture
def exercise() -> CodingExercise:
    return make_exercise()


@pytest.fixture
def learner() -> User:
    return UserFactory.create()


@pytest.fixture
def signed_in(client: Client, learner: User) -> Client:
    client.force_login(learner)
    return client


def exercise_url(exercise: CodingExercise) -> str:
    return reverse("grader:exercise", kwargs={"exercise_id": exercise.pk})


def submit_url(exercise: CodingExercise) -> str:
    return reverse("grader:submit", kwargs={"exercise_id": exercise.pk})


def submission_url(submission: Submission) -> str:
    return reverse("grader:submission", kwargs={"submission_id": submission.pk})


def textarea_text(html: str, name: str) -> str:
    match = re.search(
        rf'<textarea[^>]*name="{re.escape(name)}"[^>]*>\n(.*?)</textarea>', html, re.S
    )
    assert match is not None, f"no textarea {name}"
    return match.group(1)


def assert_no_secrets(html: str) -> None:
    for secret in (HIDDEN_TEST, REFERENCE, TEST_CODE):
        assert secret not in html


# --- the exercise page --------------------------------------------------------------------


def test_exercise_page_shows_statement_examples_editor_and_progress(signed_in, exercise):
    html = signed_in.get(exercise_url(exercise)).content.decode()

    for expected in [
        ">TTL-кэш</h1>",
        "<strong>кэш</strong>",  # the statement, as Markdown
        "visible example",  # the example tests
        f'action="{submit_url(exercise)}"',
        'for="editor-file-1"',
        'id="editor-file-1"',
        'spellcheck="false"',
        'data-indent="tab"',
        'data-testid="part-progress"',
        "grader/editor.js",
    ]:
        assert expected in html
    assert "<script>alert" not in html  # the statement is sanitised
    assert html.count("<h1") == 1  # the statement's own "# Title" is not a second h1
    assert textarea_text(html, "file:cache.go") == "package cache\n\n// TODO: Get\n"
    assert_no_secrets(html)


def test_python_exercise_indents_with_four_spaces(signed_in):
    exercise = make_exercise(language="python", starter_files={"solution.py": "def f():\n"})
    html = signed_in.get(exercise_url(exercise)).content.decode()
    assert 'data-indent="4"' in html


@pytest.mark.parametrize("method", ["get_exercise", "post_submit", "get_submission"])
def test_pages_require_login(client, exercise, learner, method):
    submission = graded(exercise, learner)
    if method == "get_exercise":
        response = client.get(exercise_url(exercise))
    elif method == "post_submit":
        response = client.post(submit_url(exercise), {"file:cache.go": "x"})
    else:
        response = client.get(submission_url(submission))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse(settings.LOGIN_URL))
    assert Submission.objects.count() == 1


def test_unpublished_exercise_is_404(signed_in):
    exercise = make_exercise(is_published=False)
    assert signed_in.get(exercise_url(exercise)).status_code == 404
    assert signed_in.post(submit_url(exercise), {"file:cache.go": "x"}).status_code == 404
    assert not Submission.objects.exists()


def test_an_exercise_in_an_unpublished_section_is_404(signed_in):
    # Regression (review): a published exercise of a planned section was open.
    exercise = make_exercise(section=SectionFactory.create(planned=True))
    assert signed_in.get(exercise_url(exercise)).status_code == 404
    assert signed_in.post(submit_url(exercise), {"file:cache.go": "x"}).status_code == 404
    assert not Submission.objects.exists()


def test_a_non_ascii_digit_in_from_is_ignored(signed_in):
    exercise = make_exercise()
    assert signed_in.get(exercise_url(exercise) + "?from=%C2%B2").status_code == 200


def test_missing_exercise_is_404(signed_in):
    assert signed_in.get(reverse("grader:exercise", kwargs={"exercise_id": 999})).status_code == 404


def test_editor_holds_the_latest_submission_or_the_starter_on_reset(signed_in, exercise, learner):
    older = graded(exercise, learner, files={"cache.go": "package cache // older"})
    graded(exercise, learner, files={"cache.go": "package cache // newest"})
    someone_else = graded(exercise, UserFactory.create(), files={"cache.go": "// not yours"})

    def editor(query: str = "") -> str:
        html = signed_in.get(exercise_url(exercise) + query).content.decode()
        return textarea_text(html, "file:cache.go")

    assert editor() == "package cache // newest"
    assert editor("?reset=1") == STARTER
    assert editor(f"?from={older.pk}") == "package cache // older"
    # Another learner's submission id gives the starter, never their code.
    assert editor(f"?from={someone_else.pk}") == STARTER


def test_history_lists_only_own_submissions_latest_first(signed_in, exercise, learner):
    signed_in.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    first = graded(exercise, learner)
    second = graded(exercise, learner, verdict=Submission.Verdict.PASSED, tests_passed=2)
    other = graded(exercise, UserFactory.create())

    html = signed_in.get(exercise_url(exercise)).content.decode()

    assert html.index(submission_url(second)) < html.index(submission_url(first))
    assert submission_url(other) not in html
    assert "All tests passed" in html
    assert "✘" in html  # the failed one: an icon beside the words, not colour alone


def test_history_dates_are_in_the_learners_language(signed_in, exercise, learner):
    submission = graded(exercise, learner)
    when = datetime(2026, 1, 15, 9, 30, tzinfo=UTC)
    Submission.objects.filter(pk=submission.pk).update(created_at=when)

    signed_in.cookies[settings.LANGUAGE_COOKIE_NAME] = "ru"
    assert "января" in signed_in.get(exercise_url(exercise)).content.decode()
    signed_in.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = signed_in.get(exercise_url(exercise)).content.decode()
    assert "Jan. 15, 2026" in html
    assert 'datetime="2026-01-15T12:30:00+03:00"' in html  # TIME_ZONE Europe/Moscow


def test_exercise_page_queries_do_not_grow_with_history(
    signed_in, exercise, learner, django_assert_num_queries
):
    graded(exercise, learner)
    with CaptureQueriesContext(connection) as one:
        assert signed_in.get(exercise_url(exercise)).status_code == 200
    for _ in range(9):
        graded(exercise, learner)

    with django_assert_num_queries(len(one.captured_queries)):
        html = signed_in.get(exercise_url(exercise)).content.decode()
    assert html.count('href="/submissions/') == 10


def test_history_is_capped(signed_in, exercise, learner):
    for _ in range(HISTORY_LIMIT + 5):
        graded(exercise, learner)
    html = signed_in.get(exercise_url(exercise)).content.decode()
    assert html.count("<time ") == HISTORY_LIMIT


# --- submit -------------------------------------------------------------------------------


def test_submit_creates_a_submission_queues_it_and_redirects(
    signed_in, exercise, learner, monkeypatch, django_capture_on_commit_callbacks
):
    sent: list[int] = []

    def fake_queue(*, submission_id: int) -> bool:
        sent.append(submission_id)
        return True

    monkeypatch.setattr(services, "submission_queue", fake_queue)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = signed_in.post(
            submit_url(exercise), {"file:cache.go": "package cache\r\n\r\nfunc Get() {}\r\n"}
        )

    submission = Submission.objects.get()
    assert response.status_code == 303
    assert response["Location"] == submission_url(submission)
    assert submission.learner == learner
    assert submission.status == Submission.Status.QUEUED
    # Browsers send a textarea's line breaks as CRLF; the file keeps LF.
    assert submission.files == {"cache.go": "package cache\n\nfunc Get() {}\n"}
    assert len(callbacks) == 1
    assert sent == [submission.pk]  # queued once committed
    # Submitting enrols: the course is on the learner's dashboard.
    assert Enrollment.objects.filter(learner=learner, course=exercise.section.part.course).exists()


def test_a_refused_submission_keeps_the_code_and_says_why(signed_in, exercise, learner):
    signed_in.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    graded(exercise, learner)
    code = "package cache\n// my careful work <b>\n" + "x" * MAX_BYTES

    response = signed_in.post(submit_url(exercise), {"file:cache.go": code})

    html = response.content.decode()
    assert response.status_code == 400
    assert 'role="alert"' in html
    assert "At most 256 KB of files." in html  # the service's reason
    assert textarea_text(html, "file:cache.go").startswith(
        "package cache\n// my careful work &lt;b&gt;\n"
    )
    assert len(textarea_text(html, "file:cache.go")) > MAX_BYTES
    assert "Load your latest submission" not in html  # the editor holds the code just sent
    assert "Reset to the starter code" in html
    assert Submission.objects.count() == 1
    assert_no_secrets(html)


def test_a_submission_without_files_is_refused(signed_in, exercise):
    response = signed_in.post(submit_url(exercise), {"unrelated": "x"})
    assert response.status_code == 400
    assert not Submission.objects.exists()


def test_submit_only_by_post(signed_in, exercise):
    assert signed_in.get(submit_url(exercise)).status_code == 405


# --- the submission page ------------------------------------------------------------------


def test_someone_elses_submission_is_404(signed_in, exercise):
    submission = graded(exercise, UserFactory.create())
    assert signed_in.get(submission_url(submission)).status_code == 404
    assert signed_in.get(submission_url(submission) + "?fragment=1").status_code == 404


def test_graded_submission_page_shows_verdict_score_tests_and_code(signed_in, exercise, learner):
    submission = graded(exercise, learner)

    html = signed_in.get(submission_url(submission)).content.decode()

    for expected in [
        'aria-live="polite"',
        f'data-live-url="{submission_url(submission)}?fragment=1"',
        "courses/live.js",
        "data-live-final",
        "✘",
        "TestGetHit",
        "TestGetExpired",
        "expected 2 loads, got 1",  # a failing test's message
        "loading key a",  # its output
        "// my attempt",  # the submitted code, highlighted and read-only
    ]:
        assert expected in html
    assert "<textarea" not in html
    assert 'data-testid="part-progress"' in html
    assert_no_secrets(html)


def test_result_texts_in_english(signed_in, exercise, learner):
    signed_in.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    submission = graded(exercise, learner)
    html = signed_in.get(submission_url(submission)).content.decode()
    assert "Some tests failed" in html
    assert "5 of 10 points" in html
    assert "1 of 2" in html
    assert "passed" in html
    assert "failed" in html


def test_a_failed_comparison_shows_expected_and_got_apart_from_the_output(
    signed_in, exercise, learner
):
    results = {
        "version": 3,
        "status": "fail",
        "tests": [
            {"name": "TestGetHit", "status": "pass", "test_code": TEST_CODE},
            {
                "name": "TestGetExpired",
                "status": "fail",
                "message": "cache_test.go:14: loads = 1, want 2",
                "expected": "2",
                "got": "1",
                "output": "loading key a\n",
                "test_code": TEST_CODE,
            },
        ],
    }
    submission = graded(exercise, learner, results=results)

    html = signed_in.get(submission_url(submission)).content.decode()

    compared = html.split('class="test-result__compared"', 1)[1].split("</dl>", 1)[0]
    assert "Ожидалось" in compared
    assert "<code>2</code>" in compared
    assert "Получено" in compared
    assert "<code>1</code>" in compared
    assert "loading key a" not in compared  # the learner's output is its own block
    assert html.count('class="test-result__compared"') == 1  # not for the passing test
    api = signed_in.get(f"/api/v1/submissions/{submission.pk}/").json()
    failed = api["results"]["tests"][1]
    assert (failed["expected"], failed["got"]) == ("2", "1")
    assert "test_code" not in failed  # (a hidden test's code: never the learner's)


def test_a_failure_in_the_learners_code_links_to_its_line(signed_in, exercise, learner):
    results = {
        "version": 3,
        "status": "error",
        "tests": [
            {
                "name": "TestGetMiss",
                "status": "error",
                "message": "panic: assignment to entry in nil map (at cache.go:3)",
            },
            # A line of the tests' own file: not the learner's code, no link.
            {"name": "TestGetHit", "status": "fail", "message": "0 != 2 (at cache_test.go:9)"},
        ],
    }
    submission = graded(
        exercise,
        learner,
        files={"cache.go": "package cache\n\nfunc Get() { m[1] = 2 }\n"},
        verdict=Submission.Verdict.RUNTIME_ERROR,
        results=results,
    )

    html = signed_in.get(submission_url(submission)).content.decode()

    assert "panic: assignment to entry in nil map (в cache.go:3)" in html
    assert '<a href="#code1-3">В вашем коде: cache.go, строка 3</a>' in html
    assert 'id="code1-3"' in html
    assert html.count("test-result__place") == 1
    fragment = signed_in.get(submission_url(submission) + "?fragment=1").content.decode()
    assert 'href="#code1-3"' in fragment


def test_compile_errors_name_the_file_and_line_and_link_to_it(signed_in, exercise, learner):
    signed_in.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    submission = graded(
        exercise,
        learner,
        files={"cache.go": "package cache\n\nfunc Get() { x }\n"},
        verdict=Submission.Verdict.COMPILE_ERROR,
        score=Decimal(0),
        tests_passed=0,
        tests_total=0,
        results={
            "version": 3,
            "status": "error",
            "message": "# cache\ncache.go:3:14: undefined: x",
            "tests": [],
        },
    )

    html = signed_in.get(submission_url(submission)).content.decode()

    assert "Compile error" in html
    assert "cache.go, line 3, column 14" in html
    assert "undefined: x" in html
    assert 'href="#code1-3"' in html
    assert 'id="code1-3"' in html


@pytest.mark.parametrize(
    ("status", "runs", "final", "words"),
    [
        (Submission.Status.QUEUED, 0, False, "Queued…"),
        (Submission.Status.RUNNING, 0, False, "Running tests…"),
        (Submission.Status.QUEUED, 1, False, "not your fault"),
        (Submission.Status.GRADED, 0, True, "Some tests failed"),
        (Submission.Status.ERROR, 3, True, "not your fault"),
    ],
)
def test_fragment_is_final_only_once_graded(
    signed_in, exercise, learner, status, runs, final, words
):
    signed_in.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    fields: dict[str, Any] = {"status": status, "runs": runs}
    if status != Submission.Status.GRADED:
        fields.update(verdict="", score=None, tests_passed=None, tests_total=None, results={})
    if status == Submission.Status.ERROR:
        fields.update(verdict=Submission.Verdict.INTERNAL_ERROR, error_reason=f"bwrap {REFERENCE}")
    submission = graded(exercise, learner, **fields)

    response = signed_in.get(submission_url(submission) + "?fragment=1")

    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html  # the fragment alone
    root = re.match(r"\s*<div[^>]*>", html)
    assert root is not None
    assert ("data-live-final" in root.group(0)) is final
    assert words in html
    if not final:
        assert f'href="{submission_url(submission)}"' in html  # a refresh link without JS
    assert_no_secrets(html)


def test_fetch_header_also_gets_the_fragment(signed_in, exercise, learner):
    submission = graded(exercise, learner, status=Submission.Status.QUEUED, verdict="")
    response = signed_in.get(submission_url(submission), headers={"X-Requested-With": "fetch"})
    assert "<html" not in response.content.decode()
    assert "X-Requested-With" in response["Vary"]


# --- secrets ------------------------------------------------------------------------------


def test_hidden_tests_and_the_reference_never_reach_any_page(signed_in, exercise, learner):
    graded(exercise, learner, status=Submission.Status.QUEUED, verdict="", results={})
    submission = graded(exercise, learner)
    pages = [
        signed_in.get(exercise_url(exercise)),
        signed_in.get(exercise_url(exercise) + "?reset=1"),
        signed_in.get(submission_url(submission)),
        signed_in.get(submission_url(submission) + "?fragment=1"),
        signed_in.post(submit_url(exercise), {"file:cache.go": "\x00"}),
    ]
    for response in pages:
        assert response.status_code in {200, 400}
        assert_no_secrets(response.content.decode())


# --- exercise states for the section page -------------------------------------------------


def test_exercise_states_for_many_sections_in_one_query(learner, django_assert_num_queries):
    first, second = SectionFactory.create(), SectionFactory.create()
    untouched = make_exercise(first)
    passed = make_exercise(first)
    failed = make_exercise(second)
    pending = make_exercise(second)
    passed_then_pending = make_exercise(second)
    only_internal_error = make_exercise(second)
    graded(failed, learner)
    graded(passed, learner)
    graded(passed, learner, verdict=Submission.Verdict.PASSED)
    graded(pending, learner)
    graded(pending, learner, status=Submission.Status.RUNNING, verdict="")
    graded(passed_then_pending, learner, verdict=Submission.Verdict.PASSED)
    graded(passed_then_pending, learner, status=Submission.Status.QUEUED, verdict="")
    graded(only_internal_error, learner, status=Submission.Status.ERROR, verdict="internal_error")
    # Another learner's pass changes nothing for this one.
    graded(untouched, UserFactory.create(), verdict=Submission.Verdict.PASSED)

    with django_assert_num_queries(1):
        states = exercise_states_for(learner=learner, section_ids=[first.pk, second.pk])

    assert states == {
        untouched.pk: "not_started",
        passed.pk: "passed",
        failed.pk: "failed",
        pending.pk: "in_progress",
        passed_then_pending.pk: "passed",
        only_internal_error.pk: "not_started",
    }


def test_exercise_states_for_no_sections(learner):
    assert exercise_states_for(learner=learner, section_ids=[]) == {}
