"""Item analysis from the database, against values worked out by hand on a fixed data set."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from django.utils import timezone, translation

from grader.models import Submission
from quizzes.models import Answer, Attempt
from teaching.analysis import exercise_analysis, quiz_analysis
from tests.factories import QuestionFactory, QuizFactory, SectionFactory, UserFactory
from tests.progress.test_progress import exercise_in

pytestmark = pytest.mark.django_db


def test_a_quiz_of_four_attempts():
    quiz = QuizFactory.create()
    choice = QuestionFactory.create(quiz=quiz, order=1)  # right: "b", 1 point
    text = QuestionFactory.create(
        quiz=quiz, order=2, type="short_text", points=D(2),
        spec={"answers": [{"text": "горутина", "weight": 100, "feedback": ""}]},
    )  # fmt: skip
    now = timezone.now()
    # (choice, its score, text answer, its score): totals 3, 2, 1, 0
    rows = [("b", 1, "горутина", 2), ("b", 1, "поток", 1), ("a", 0, "поток", 1), ("c", 0, "", 0)]
    for (picked, s1, typed, s2), percent in zip(
        rows, [100, D("66.67"), D("33.33"), 0], strict=True
    ):
        attempt = Attempt.objects.create(
            learner=UserFactory.create(), quiz=quiz, number=1, seed=1, started_at=now,
            status="graded", percent=percent, score=s1 + s2, max_score=3,
        )  # fmt: skip
        Answer.objects.create(attempt=attempt, question=choice, saved_at=now,
                              response={"choice": picked}, score=s1)  # fmt: skip
        Answer.objects.create(attempt=attempt, question=text, saved_at=now,
                              response={"text": typed}, score=s2)  # fmt: skip
    Attempt.objects.create(learner=UserFactory.create(), quiz=quiz, number=1, seed=1,
                           started_at=now)  # in progress: not counted  # fmt: skip

    result = quiz_analysis(quiz=quiz)

    assert result.attempts == 4
    assert result.histogram == [1, 0, 0, 1, 0, 0, 1, 0, 0, 1]
    first, second = result.questions
    # facility: 2 of 4 points = 50 %; (1+1+0+0 over rest 2,1,1,0): x̄=.5, ȳ=1; Sxy=.5+.0+.0+.5=1
    # Sxx=1, Syy=2: r = 1/sqrt(2) = 70.7
    assert (first.attempts, first.facility, first.discrimination) == (4, D("50.0"), D("70.7"))
    assert [(o.label, o.count, o.right) for o in first.options] == [
        ("a) горутина", 1, False), ("b) канал", 2, True), ("c) мьютекс", 1, False),
    ]  # fmt: skip
    # text: 4 of 8 points = 50 %; 2,1,1,0 against the rest 1,1,0,0: x̄=1, ȳ=.5, Sxy=1,
    # Sxx=2, Syy=1: r = 1/sqrt(2) = 70.7
    assert second.facility == D("50.0")
    assert second.discrimination == D("70.7")
    assert second.wrong_answers == [("поток", 2)]  # the empty answer is not a "wrong answer"
    assert first.flags == ["few"]


def test_an_exercise_of_three_learners():
    exercise = exercise_in(SectionFactory.create())
    anna, boris, vera = UserFactory.create(), UserFactory.create(), UserFactory.create()

    def graded(learner, verdict: str, failing: list[str]) -> None:
        Submission.objects.create(
            learner=learner, exercise=exercise, files={}, status="graded", verdict=verdict,
            results={"tests": [{"name": n, "status": "fail"} for n in failing]
                     + [{"name": "TestOk", "status": "pass"}]},
        )  # fmt: skip

    graded(anna, "passed", [])  # 1 to pass
    graded(boris, "failed", ["TestTTL"])
    graded(boris, "compile_error", [])
    graded(boris, "passed", [])  # 3 to pass
    graded(vera, "failed", ["TestTTL", "TestEvict"])  # never passed
    Submission.objects.create(learner=vera, exercise=exercise, files={}, status="queued")

    with translation.override("en"):
        result = exercise_analysis(exercise=exercise)

    assert (result.submissions, result.learners, result.passed_learners) == (5, 3, 2)
    assert result.median_to_pass == 2.0  # of 1 and 3
    assert dict(result.verdicts) == {"all tests passed": 2, "some tests failed": 2,
                                     "compile error": 1}  # fmt: skip
    assert result.failing_tests == [("TestTTL", 2), ("TestEvict", 1)]
