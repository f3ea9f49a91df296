"""The gradebook's scores: each quiz's and exercise's points and percent as they count (the
quiz's score policy, the exercise's best), not attempted shown as a dash (never 0), late work
and answers waiting for a grade marked; the marks read in at most two queries, and the CSV
unchanged (issue 20, item 6)."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from grader.models import Submission
from grader.selectors import exercise_mark
from progress.items import ItemRef, WorkRow
from progress.selectors import gradebook_rows
from quizzes.models import Quiz
from quizzes.selectors import quiz_mark
from tests.factories import QuestionFactory, QuizFactory, SectionFactory, UserFactory
from tests.progress.test_progress import exercise_in, pass_quiz, solve
from tests.teaching.test_grading_queue import submit_essay


def attempt(
    number: int,
    status: str = "graded",
    *,
    points: str | None = None,
    late: bool = False,
    waiting: bool = False,
    policy: str = "best",
) -> WorkRow:
    most = "10"
    score = None if points is None else Decimal(points)
    percent = None if score is None else score * 100 / Decimal(most)
    return WorkRow("quiz", 1, 1, number, status, waiting, score, Decimal(most), percent, late,
                   policy)  # fmt: skip


@pytest.mark.parametrize(
    ("policy", "points", "percent", "late"),
    [
        ("best", "8.00", "80.00", True),  # the best attempt is the late second one
        ("last", "5.00", "50.00", False),
        ("average", "6.00", "60.00", True),  # 5, 8, 5: a late one among those averaged
    ],
)
def test_a_quiz_counts_the_attempts_its_score_policy_counts(policy, points, percent, late):
    rows = [
        attempt(1, points="5", policy=policy),
        attempt(2, points="8", late=True, policy=policy),
        attempt(3, points="5", policy=policy),
    ]
    mark = quiz_mark(rows)
    assert (mark.points, mark.max_points, mark.percent, mark.late) == (
        Decimal(points), Decimal("10.00"), Decimal(percent), late,
    )  # fmt: skip
    assert (mark.attempted, mark.waiting, mark.pending) == (True, False, False)


def test_a_quiz_waiting_for_a_person_or_for_the_grader_is_marked_not_zero():
    waiting = quiz_mark([attempt(1, "submitted", waiting=True)])
    assert (waiting.points, waiting.percent, waiting.waiting, waiting.attempted) == (
        None, None, True, True,
    )  # fmt: skip
    started = quiz_mark([attempt(1, "in_progress")])
    assert (started.graded, started.pending, started.waiting) == (False, True, False)
    failed = quiz_mark([attempt(1, "error")])  # a grading error: attempted, no grade
    assert (failed.graded, failed.pending, failed.attempted) == (False, False, True)
    # a graded attempt and a newer one waiting: the score stands, the wait is marked
    both = quiz_mark([attempt(1, points="4"), attempt(2, "submitted", waiting=True)])
    assert (both.points, both.waiting) == (Decimal("4.00"), True)


def test_an_exercise_counts_its_best_graded_submission():
    def submission(seq: int, status: str, points: str | None) -> WorkRow:
        score = None if points is None else Decimal(points)
        return WorkRow("exercise", 1, 1, seq, status, False, score, Decimal("20"), None,
                       False, "")  # fmt: skip

    mark = exercise_mark(
        [submission(1, "graded", "5"), submission(2, "graded", "15"), submission(3, "queued", None)]
    )
    assert (mark.points, mark.max_points, mark.percent) == (
        Decimal("15"), Decimal("20"), Decimal("75.00"),
    )  # fmt: skip
    assert (mark.pending, mark.late) == (True, False)
    assert not exercise_mark([submission(1, "running", None)]).graded


@pytest.fixture
def world(monkeypatch):
    monkeypatch.setattr("quizzes.services.enqueue", lambda *args, **kwargs: True, raising=False)
    section = SectionFactory.create(number="4.2", title="Кэширование")
    course = section.part.course
    teacher = UserFactory.create(username="teacher")
    course.instructors.add(teacher)
    quiz = QuizFactory.create(section=section, title="Кэш", pass_score=50)
    QuestionFactory.create(quiz=quiz, order=1, points=Decimal("2"))  # "b" is right
    exercise = exercise_in(section)
    return course, section, quiz, exercise, teacher


def cell_of(html: str, learner: str, index: int) -> str:
    """The text of the learner's row's `index`-th item cell (tags stripped)."""
    row = html[html.index(f'<th scope="row">{learner}</th>') :].split("</tr>", 1)[0]
    cells = re.findall(r'<td class="gradebook__item[^"]*">(.*?)</td>', row, re.S)
    return re.sub(r"<[^>]+>", " ", cells[index])


@pytest.mark.django_db
def test_the_page_shows_points_percent_late_waiting_and_not_attempted(world):
    course, section, quiz, exercise, teacher = world
    anna, boris, vera, gleb = (
        UserFactory.create(username=n) for n in ("anna", "boris", "vera", "gleb")
    )
    pass_quiz(quiz, anna)  # 2 of 2
    solve(exercise, anna)  # 10 of 10
    pass_quiz(quiz, boris, choice="a")  # 0 of 2: a real zero
    Quiz.objects.filter(pk=quiz.pk).update(due_at=timezone.now() - timedelta(days=1))
    quiz.refresh_from_db()
    pass_quiz(quiz, vera)  # after the due date
    essays = QuizFactory.create(section=section, title="Эссе", order=quiz.order + 1)
    QuestionFactory.create(quiz=essays, order=1)
    QuestionFactory.create(quiz=essays, order=2, type="essay", spec={"min_words": 1}, points=2)
    submit_essay(essays, gleb, "ответ")  # waits for a grade
    for learner in (boris, vera, gleb):
        solve(exercise, learner, code="nope")  # 0 points, graded
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(teacher)

    html = client.get(f"/teach/{course.slug}/gradebook/").content.decode()

    assert "2/2 · 100%" in cell_of(html, "anna", 0)
    assert "10/10 · 100%" in cell_of(html, "anna", 2)
    assert "0/2 · 0%" in cell_of(html, "boris", 0)
    assert "not attempted" not in cell_of(html, "boris", 0)
    late = cell_of(html, "vera", 0)
    assert "2/2 · 100%" in late
    assert "late" in late
    assert "late" not in cell_of(html, "anna", 0)
    assert "not attempted" in cell_of(html, "gleb", 0)
    waiting = cell_of(html, "gleb", 1)
    assert "to grade" in waiting
    assert "…" in waiting  # no score yet: neither 0 nor a number
    assert "/4" not in waiting
    # enrolled without any work: a dash and "not attempted", never 0
    from progress.models import Enrollment

    Enrollment.objects.create(learner=UserFactory.create(username="dina"), course=course)
    html = client.get(f"/teach/{course.slug}/gradebook/").content.decode()
    for index in (0, 1, 2):
        nothing = cell_of(html, "dina", index)
        assert "not attempted" in nothing
        assert "—" in nothing
        assert "0" not in nothing
    assert 'scope="colgroup" colspan="4"' in html  # 4.2: items done, 2 quizzes, the exercise

    # the Russian page: Russian words
    ru = Client(HTTP_ACCEPT_LANGUAGE="ru")
    ru.force_login(teacher)
    page = ru.get(f"/teach/{course.slug}/gradebook/").content.decode()
    assert "нет попыток" in cell_of(page, "dina", 0)
    assert "с опозданием" in cell_of(page, "vera", 0)
    assert "2 из 2 баллов, 100%" in cell_of(page, "vera", 0)


@pytest.mark.django_db
def test_marks_are_read_in_two_queries_whatever_the_work(world, django_assert_max_num_queries):
    _course, section, quiz, exercise, _teacher = world
    learners = [UserFactory.create(username=f"l{i}") for i in range(6)]
    for number, learner in enumerate(learners):
        pass_quiz(quiz, learner, choice="ab"[number % 2])
        pass_quiz(quiz, learner)
        solve(exercise, learner)
    with django_assert_max_num_queries(2):
        rows = gradebook_rows(
            learner_ids=[u.pk for u in learners], section_ids=[section.pk], with_marks=True
        )
    for learner in learners:  # best of two: 2 of 2 whatever the first was
        mark = rows[learner.pk].mark(ItemRef("quiz", quiz.pk))
        assert (mark.points, mark.percent) == (Decimal("2.00"), Decimal("100.00"))
        assert rows[learner.pk].mark(ItemRef("exercise", exercise.pk)).points == Decimal("10.00")
    with django_assert_max_num_queries(2):
        stored = gradebook_rows(
            learner_ids=[u.pk for u in learners], section_ids=[section.pk], with_scores=True
        )
    assert stored[learners[0].pk].marks == {}  # the CSV reads the stored scores only


@pytest.mark.django_db
def test_the_csv_keeps_its_columns_and_the_stored_scores(world):
    course, _section, quiz, exercise, teacher = world
    anna = UserFactory.create(username="anna")
    pass_quiz(quiz, anna)
    solve(exercise, anna)
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(teacher)
    response = api.get(f"/api/v1/courses/{course.pk}/gradebook.csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0] == [
        "learner_id", "username", f"4.2 quiz: {quiz.title} (%)",
        f"4.2 exercise: {exercise.title} (points)", "4.2 completed",
        # Lateness after every column there was (issue 23): those keep their places.
        f"4.2 quiz: {quiz.title} (%): late", f"4.2 exercise: {exercise.title} (points): late",
    ]  # fmt: skip
    assert rows[1] == [str(anna.pk), "anna", "100.00", "10.00", "yes", "", ""]
    assert Submission.objects.filter(learner=anna).count() == 1
