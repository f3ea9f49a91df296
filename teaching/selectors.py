"""Reads of the instructor pages (teaching.views) and the regrade API: each page's view makes
one call here (after `taught_course`, its door) and renders what it gets; no view queries.

Every lookup is of the course's own things: another course's quiz, exercise, section, part,
job or submission does not exist here (a 404, as for a learner), whatever its id."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from accounts.roles import is_admin, taught_course_ids, teaches
from courses.models import Course, Part, Section
from grader.models import CodingExercise, Submission
from quizzes.models import Question, Quiz
from teaching import copying
from teaching.copying import SideBySide
from teaching.models import GradeChange, RegradeJob
from teaching.regrade import job_summary

# The order of a course's items on every teaching page: as the course shows them.
ITEM_ORDER = ("section__part__number", "section__order", "section_id", "order", "id")
# The regrades page lists the newest this many jobs, a job's page this many changes.
JOBS_LISTED = 100
CHANGES_LISTED = 500


def taught_course(*, user: User | Any, course_slug: str) -> Course:
    """The course, for one of its instructors; a 404 for anyone else (a learner sees no
    instructor page, not a "forbidden" one)."""
    course = get_object_or_404(Course, slug=course_slug)
    if not teaches(user, course.pk):
        raise Http404
    return course


def course_quizzes(course: Course) -> list[Quiz]:
    return list(Quiz.objects.filter(section__part__course=course).select_related("section")
                .order_by(*ITEM_ORDER))  # fmt: skip


def course_exercises(course: Course) -> list[CodingExercise]:
    return list(
        CodingExercise.objects.filter(section__part__course=course)
        .select_related("section")
        .order_by(*ITEM_ORDER)
    )


def course_sections(course: Course) -> list[Section]:
    return list(
        Section.objects.filter(part__course=course)
        .select_related("part")
        .order_by("part__number", "order", "id")
    )


@dataclass(frozen=True)
class CourseItems:
    """The course's quizzes and exercises (the teaching home page)."""

    quizzes: list[Quiz]
    exercises: list[CodingExercise]


def course_items(*, course: Course) -> CourseItems:
    return CourseItems(course_quizzes(course), course_exercises(course))


def course_quiz(*, course: Course, quiz_id: int) -> Quiz:
    return get_object_or_404(
        Quiz.objects.select_related("section"), pk=quiz_id, section__part__course=course
    )


def course_exercise(*, course: Course, exercise_id: int) -> CodingExercise:
    return get_object_or_404(
        CodingExercise.objects.select_related("section"),
        pk=exercise_id,
        section__part__course=course,
    )


def course_part(*, course: Course, number: int) -> Part:
    return get_object_or_404(Part, course=course, number=number)


def course_part_by_id(*, course: Course, part_id: int) -> Part:
    return get_object_or_404(Part, pk=part_id, course=course)


def course_parts(course: Course) -> list[Part]:
    return list(Part.objects.filter(course=course).order_by("number", "id"))


def course_section(*, course: Course, section_id: int) -> Section | None:
    return Section.objects.filter(pk=section_id, part__course=course).first()


# --- regrades -------------------------------------------------------------------------


def regrade_target(*, course: Course, kind: str, pk: int) -> dict[str, Any]:
    """What a regrade form names ("quiz", "question" or "exercise" and an id), as
    regrade_start takes it."""
    models: dict[str, Any] = {"quiz": Quiz, "question": Question, "exercise": CodingExercise}
    if kind not in models:
        raise Http404
    path = "quiz__section__part__course" if kind == "question" else "section__part__course"
    return {kind: get_object_or_404(models[kind], pk=pk, **{path: course})}


def users_by_ids(*, ids: list[int]) -> list[User]:
    """The users of these ids that exist (the deadlines API checks each is the course's)."""
    return list(User.objects.filter(pk__in=ids))


def quiz_and_exercise_any(
    *, quiz_id: int | None, exercise_id: int | None
) -> tuple[Quiz | None, CodingExercise | None]:
    """The API's quiz and exercise of an extension or a release, of any course (None: no id, or
    no such row); the service refuses one of another course by name."""
    quiz = Quiz.objects.filter(pk=quiz_id).first() if quiz_id else None
    exercise = CodingExercise.objects.filter(pk=exercise_id).first() if exercise_id else None
    return quiz, exercise


def regrade_target_any(*, kind: str, pk: int) -> dict[str, Any]:
    """The API's target: any course's (regrade_start refuses a caller who does not teach it,
    with the same 404 as for an id of nothing)."""
    models: dict[str, Any] = {"quiz": Quiz, "question": Question, "exercise": CodingExercise}
    return {kind: get_object_or_404(models[kind], pk=pk)}


@dataclass(frozen=True)
class RegradeList:
    jobs: list[RegradeJob]  # the newest first
    quizzes: list[Quiz]  # what a new regrade may target
    exercises: list[CodingExercise]


def regrade_list(*, course: Course) -> RegradeList:
    jobs = RegradeJob.objects.filter(course=course).select_related(
        "question", "quiz__section", "exercise__section", "created_by"
    )
    return RegradeList(list(jobs[:JOBS_LISTED]), course_quizzes(course), course_exercises(course))


def regrade_job(*, course: Course, job_id: int) -> RegradeJob:
    return get_object_or_404(
        RegradeJob.objects.select_related(
            "question", "quiz__section", "exercise__section", "created_by"
        ),
        pk=job_id,
        course=course,
    )


@dataclass(frozen=True)
class ChangeLine:
    """One learner's grade change in a regrade, as its page lists it."""

    learner: str  # the learner's username
    old_score: Decimal
    new_score: Decimal
    old_passed: bool
    new_passed: bool
    status: str  # its label, in the viewer's language

    @property
    def pass_flipped(self) -> bool:
        return self.old_passed != self.new_passed


@dataclass(frozen=True)
class RegradePage:
    job: RegradeJob
    summary: dict[str, Any]  # teaching.regrade.job_summary
    changes: list[ChangeLine]  # the first CHANGES_LISTED
    running: bool  # computing or applying: the page refreshes itself


def _change_line(change: GradeChange) -> ChangeLine:
    return ChangeLine(
        learner=change.learner.username,
        old_score=change.old_score,
        new_score=change.new_score,
        old_passed=change.old_passed,
        new_passed=change.new_passed,
        status=str(change.get_status_display()),
    )


def regrade_page(*, course: Course, job_id: int) -> RegradePage:
    job = regrade_job(course=course, job_id=job_id)
    rows = job.changes.select_related("learner").order_by("id")[:CHANGES_LISTED]
    running = job.status in {RegradeJob.Status.COMPUTING, RegradeJob.Status.APPLYING}
    return RegradePage(job, job_summary(job), [_change_line(row) for row in rows], running)


def regrade_jobs_visible_to(user: Any) -> QuerySet[RegradeJob]:
    """The API's jobs: an admin's, or those of the courses the user teaches."""
    jobs = RegradeJob.objects.select_related("created_by", "applied_by")
    return jobs if is_admin(user) else jobs.filter(course_id__in=taught_course_ids(user))


def regrade_changes(*, job: RegradeJob) -> QuerySet[GradeChange]:
    """The job's changes for the API's pages (paginated there)."""
    return GradeChange.objects.filter(job=job).select_related("learner").order_by("id")


# --- similar solutions ------------------------------------------------------------------


@dataclass(frozen=True)
class SimilarityList:
    exercise: CodingExercise
    pairs: list[copying.SimilarPair]


def similarity_list(*, course: Course, exercise_id: int) -> SimilarityList:
    exercise = course_exercise(course=course, exercise_id=exercise_id)
    return SimilarityList(exercise, copying.similar_pairs(exercise=exercise))


@dataclass(frozen=True)
class PairSide:
    """One submission of a similar pair, as the page names it."""

    id: int
    learner: str  # the learner's username
    created_at: datetime


@dataclass(frozen=True)
class SimilarityPair:
    exercise: CodingExercise
    a: PairSide
    b: PairSide
    percent: int
    files: list[SideBySide]


def similarity_pair(*, course: Course, exercise_id: int, a_id: int, b_id: int) -> SimilarityPair:
    """Two submissions to the course's exercise side by side; another exercise's: a 404."""
    exercise = course_exercise(course=course, exercise_id=exercise_id)
    found = {
        s.pk: s
        for s in Submission.objects.select_related("learner").filter(
            exercise=exercise, pk__in=[a_id, b_id]
        )
    }
    if a_id not in found or b_id not in found:
        raise Http404
    a, b = found[a_id], found[b_id]
    score, files = copying.pair_detail(exercise=exercise, a=a, b=b)
    sides = [PairSide(s.pk, s.learner.username, s.created_at) for s in (a, b)]
    return SimilarityPair(exercise, sides[0], sides[1], round(score * 100), files)


# --- imports and exports ------------------------------------------------------------------


@dataclass(frozen=True)
class ImportChoices:
    """Where an upload may go: the course's sections (GIFT, exercises), quizzes (export) and
    parts (export)."""

    sections: list[Section]
    quizzes: list[Quiz]
    parts: list[Part]


def import_choices(*, course: Course) -> ImportChoices:
    parts = list(Part.objects.filter(course=course).order_by("number"))
    return ImportChoices(course_sections(course), course_quizzes(course), parts)


# --- the question editor -------------------------------------------------------------------


@dataclass(frozen=True)
class QuizQuestions:
    quiz: Quiz
    questions: list[Question]


def quiz_questions(*, course: Course, quiz_id: int) -> QuizQuestions:
    quiz = course_quiz(course=course, quiz_id=quiz_id)
    return QuizQuestions(quiz, list(quiz.questions.order_by("order", "id")))


def quiz_question(*, course: Course, quiz_id: int, question_id: int) -> Question:
    """A question of the course's quiz, for its editor; anything else: a 404."""
    return get_object_or_404(
        Question.objects.select_related("quiz__section"),
        pk=question_id,
        quiz_id=quiz_id,
        quiz__section__part__course=course,
    )


def question_answered(*, question: Question) -> bool:
    """Learners answered it: a changed key applies to gradings from now on, past ones change
    only by a regrade (the editor says so)."""
    return question.pk is not None and question.answers.exists()
