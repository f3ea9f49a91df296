"""Reads for quizzes: an attempt's questions in its order, a learner's result by policy."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser, User
from django.db.models import CharField, Exists, OuterRef, Q, QuerySet, Subquery, Value
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone

from accounts.roles import own_or_taught, published_or_taught, teaches
from courses.models import Section
from deadlines.policy import counts_complete, time_limit_for
from deadlines.presentation import penalised_words
from deadlines.selectors import (
    ItemDates,
    ResultsGate,
    item_dates,
    item_results_gate,
    item_schedule,
    results_gates,
)
from progress.items import ItemGrade, ItemMark, ItemState, WorkRow
from progress.models import ItemCompletion
from quizzes.models import Attempt, Question, QuestionFile, Quiz
from quizzes.presentation import (
    blanks_review,
    learner_title,
    public_spec,
    question_text_html,
    response_ids,
    response_summary,
    seeded_order,
    spec_with_html,
)
from quizzes.scoring import CENT, QuizResult, quiz_result
from quizzes.visibility import ResultVisibility, result_visibility, scores_hidden_until_due
from webhooks.payloads import EventSubject


@dataclass(frozen=True)
class AttemptQuestion:
    question: Question
    # What the learner sees: text and the spec without answer keys, ids opaque.
    view: dict[str, Any]
    id_key: str

    def response_to_stored(self, response: Any) -> Any:
        """A response in the ids the learner saw, in the stored ids (to save and grade)."""
        return self._convert(response, to_public=False)

    def response_to_shown(self, response: Any) -> Any:
        """A stored response in the ids the learner sees (to show it back)."""
        return self._convert(response, to_public=True)

    def _convert(self, response: Any, *, to_public: bool) -> Any:
        question = self.question
        return response_ids(
            question.type,
            question.spec,
            response,
            id_key=self.id_key,
            salt=f"q{question.pk}",
            to_public=to_public,
        )


def _key(purpose: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), purpose.encode(), hashlib.sha256).hexdigest()


def attempt_id_key(attempt: Attempt) -> str:
    """The key of an attempt's opaque ids: from the server's secret, the attempt and its seed."""
    return _key(f"attempt:{attempt.pk}:{attempt.seed}")


def public_question_key() -> str:
    """Opaque ids and order of questions read outside an attempt (API): the server's secret."""
    return _key("public-questions")


def attempt_questions(*, attempt: Attempt) -> list[AttemptQuestion]:
    """The attempt's questions in the order its seed gives (stable across reloads).

    Kept on the instance: a page save reads them for the form and again in the service."""
    cached: list[AttemptQuestion] | None = getattr(attempt, "_attempt_questions", None)
    if cached is not None:
        return cached
    questions = _attempt_questions(attempt)
    attempt._attempt_questions = questions  # type: ignore[attr-defined]
    return questions


def _attempt_questions(attempt: Attempt) -> list[AttemptQuestion]:
    quiz = attempt.quiz
    # (sorted here, not by the database: a caller's prefetch of quiz__questions then serves
    # every attempt of a page without a query each)
    questions = sorted(quiz.questions.all(), key=lambda q: (q.order, q.id))
    if quiz.shuffle_questions:
        questions = seeded_order(questions, seed=attempt.seed, salt="questions")
    id_key = attempt_id_key(attempt)
    return [
        AttemptQuestion(
            question=q,
            view={
                "id": q.id,
                "type": q.type,
                "title": q.title,
                "text": q.text,
                "text_format": q.text_format,
                "points": str(q.points),
                **public_spec(
                    q.type,
                    q.spec,
                    seed=attempt.seed,
                    salt=f"q{q.id}",
                    shuffle_choices=quiz.shuffle_choices,
                    id_key=id_key,
                ),
            },
            id_key=id_key,
        )
        for q in questions
    ]


# --- who may see what (the API, the pages, progress and webhooks ask here) ---------------


def quizzes_visible_to(user: Any) -> QuerySet[Quiz]:
    """Quizzes of published sections, and every quiz of the courses the user teaches."""
    published = Q(section__status=Section.Status.PUBLISHED)
    quizzes = Quiz.objects.select_related("section__part")
    return published_or_taught(user, quizzes, published=published)


def attempts_visible_to(user: Any) -> QuerySet[Attempt]:
    """A learner's own attempts, and every attempt in the courses the user teaches."""
    attempts = Attempt.objects.select_related("quiz__section__part")
    return own_or_taught(user, attempts, course_path="quiz__section__part__course_id")


def quiz_result_for(*, learner_id: int, quiz: Quiz) -> QuizResult:
    percents = list(
        Attempt.objects.filter(learner_id=learner_id, quiz=quiz, status=Attempt.Status.GRADED)
        .order_by("number")
        .values_list("percent", flat=True)
    )
    return quiz_result_from(quiz=quiz, percents=[p for p in percents if p is not None])


def quiz_result_from(*, quiz: Quiz, percents: list[Decimal]) -> QuizResult:
    """Apply the score policy to the percents of graded attempts, oldest first."""
    return quiz_result(policy=quiz.score_policy, pass_score=quiz.pass_score, percents=percents)


# --- the quiz as an item of its section (registered with progress in apps.py) ----------


def quiz_grades() -> Iterator[ItemGrade]:
    """Every learner's result on every quiz they have a graded attempt of, from the grades."""
    percents: dict[tuple[int, int], list[Decimal]] = {}
    for learner_id, quiz_id, percent in (
        Attempt.objects.filter(status=Attempt.Status.GRADED)
        .order_by("number")
        .values_list("learner_id", "quiz_id", "percent")
    ):
        percents.setdefault((learner_id, quiz_id), []).extend([] if percent is None else [percent])
    quizzes = Quiz.objects.select_related("section__part__course").in_bulk(
        {quiz_id for _learner, quiz_id in percents}
    )
    now = timezone.now()
    held = {pk for pk, quiz in quizzes.items() if item_results_gate(item=quiz, now=now).held}
    for (learner_id, quiz_id), graded in percents.items():
        quiz = quizzes[quiz_id]
        result = quiz_result_from(quiz=quiz, percents=graded)
        complete = counts_complete(passed=result.passed, graded=True, held=quiz_id in held)
        yield ItemGrade(learner_id, quiz_id, quiz.section_id, complete, result.percent)


# Plain strings for the gradebook's fold (thousands of rows a page): no enum in the loop.
_GRADED = Attempt.Status.GRADED.value
_SUBMITTED = Attempt.Status.SUBMITTED.value
_IN_PROGRESS = Attempt.Status.IN_PROGRESS.value


def quiz_work(learner_ids: list[int], section_ids: list[int]) -> QuerySet[Any]:
    """The gradebook's rows (progress.items.WORK_COLUMNS): these learners' attempts of the
    quizzes of these sections."""
    return (
        Attempt.objects.filter(learner_id__in=learner_ids, quiz__section_id__in=section_ids)
        .order_by()
        .annotate(kind=Value("quiz", output_field=CharField()))
        .values_list(
            "kind", "learner_id", "quiz_id", "number", "status", "awaiting_manual_grading",
            "score", "max_score", "percent", "late", "quiz__score_policy",
        )
    )  # fmt: skip


def quiz_mark(rows: list[WorkRow]) -> ItemMark:
    """A learner's attempts of a quiz, oldest first, as the gradebook shows them: the points
    and percent by the quiz's score policy (the percent is the one progress records), late
    when an attempt that counts was submitted after the due date."""
    graded = [r for r in rows if r.status == _GRADED and r.percent is not None]
    waiting = any(r.status == _SUBMITTED and r.waiting for r in rows)
    pending = any(
        r.status == _IN_PROGRESS or (r.status == _SUBMITTED and not r.waiting) for r in rows
    )
    if not graded:
        return ItemMark(waiting=waiting, pending=pending, attempted=True)
    policy = rows[0].rule
    percents = [r.percent for r in graded if r.percent is not None]
    result = quiz_result(policy=policy, pass_score=100, percents=percents)
    if policy == Quiz.ScorePolicy.LAST:
        counted = graded[-1:]
    elif policy == Quiz.ScorePolicy.AVERAGE:
        counted = graded
    else:
        counted = [next(r for r in graded if r.percent == result.percent)]
    return ItemMark(
        points=_mean([r.points or Decimal(0) for r in counted]),
        max_points=_mean([r.max_points or Decimal(0) for r in counted]),
        percent=result.percent,
        late=any(r.late for r in counted),
        waiting=waiting,
        pending=pending,
        attempted=True,
    )


def _mean(values: list[Decimal]) -> Decimal:
    return (sum(values, Decimal(0)) / len(values)).quantize(CENT, rounding=ROUND_HALF_UP)


def quiz_states(learner: User | AnonymousUser, section: Section, now: datetime) -> list[ItemState]:
    """The section's quizzes, each with the learner's state and policy score %: one query.

    The state comes from subqueries on the learner's rows (unique or indexed by
    learner and quiz) rather than from two more queries for attempts and items.
    Under `after_due` the score waits for the due date, as on the quiz's own pages.
    """
    quizzes = (
        Quiz.objects.filter(section=section)
        .select_related("section__part__course")
        .order_by("order", "id")
    )
    if not learner.is_authenticated:
        return [ItemState("quiz", quiz, "not_started") for quiz in quizzes]
    item = ItemCompletion.objects.filter(learner=learner, quiz=OuterRef("pk"))
    mine = Attempt.objects.filter(learner=learner, quiz=OuterRef("pk"))
    rows = quizzes.annotate(
        item_complete=Subquery(item.values("complete")[:1]),
        item_score=Subquery(item.values("score")[:1]),
        pending=Exists(
            mine.filter(status__in=[Attempt.Status.IN_PROGRESS, Attempt.Status.SUBMITTED])
        ),
        graded=Exists(mine.filter(status=Attempt.Status.GRADED)),
    )
    found = list(rows)
    gates = results_gates(items=found, now=now)
    states = []
    for quiz in found:
        if quiz.item_complete:
            state = "passed"
        elif quiz.pending:
            state = "in_progress"
        elif quiz.graded:
            state = "failed"
        else:
            state = "not_started"
        gate = gates[quiz.pk]
        if gate.held and state != "not_started":
            # Exam mode: handed in, no more (passed or not is the result it holds back).
            states.append(ItemState("quiz", quiz, "submitted"))
            continue
        hidden = quiz_scores_hidden(quiz=quiz, gate=gate, now=now)
        states.append(ItemState("quiz", quiz, state, None if hidden else quiz.item_score))
    return states


@dataclass(frozen=True)
class AnswerReview:
    """One question of a graded attempt as the learner may see it (from AttemptQuestionView)."""

    number: int
    text: str  # in `text_format`, as are the feedback and the explanation (the page renders
    text_format: str  # them: quizzes.presentation.question_text_html)
    response: list[str]  # safe HTML pieces (quizzes.presentation.response_summary)
    points: Decimal
    score: Decimal | None
    pending_manual: bool
    feedback: list[str]
    explanation: str
    # A fill-in-the-blanks question: its text with the learner's answers in the gaps, as
    # safe HTML pieces (quizzes.presentation.blanks_review); empty for other types.
    blanks: list[tuple[str, str]] = field(default_factory=list)

    @property
    def outcome(self) -> str:
        if self.pending_manual or self.score is None:
            return "pending"
        if self.score >= self.points:
            return "correct"
        return "partial" if self.score > 0 else "wrong"


@dataclass(frozen=True)
class AttemptReview:
    """The result page's attempt: its read model (AttemptView, as its learner may see it)
    and the page's own wording of it."""

    attempt: AttemptView
    held: bool  # exam mode, not released: "submitted" only
    release_at: datetime | None  # exam mode: the release date (None: the instructor's release)
    # Scores wait for the due date under `after_due` (the page says so, graded or not).
    show_total: bool
    # Per-question feedback only as the quiz's feedback policy allows.
    show_details: bool
    details_from: datetime | None
    answers: list[AnswerReview]

    @property
    def graded_so_far(self) -> tuple[Decimal, Decimal] | None:
        """While an instructor has answers to grade: the points of the graded answers and the
        most they could give, when the learner may see per-question scores (else None)."""
        if not self.attempt.awaiting_manual_grading or not self.show_details:
            return None
        graded = [answer for answer in self.answers if not answer.pending_manual]
        return (
            sum((answer.score or Decimal(0) for answer in graded), Decimal(0)),
            sum((answer.points for answer in graded), Decimal(0)),
        )

    @property
    def pending_points(self) -> Decimal:
        """The points of the answers that wait for the instructor."""
        return sum((a.points for a in self.answers if a.pending_manual), Decimal(0))

    @property
    def pending_count(self) -> int:
        return sum(1 for answer in self.answers if answer.pending_manual)

    @property
    def final(self) -> bool:
        """Nothing more to wait for on the page: graded, failed, or left to an instructor."""
        attempt = self.attempt
        return attempt.status in {Attempt.Status.GRADED, Attempt.Status.ERROR} or (
            attempt.awaiting_manual_grading
        )


def quiz_scores_hidden(*, quiz: Quiz, gate: ResultsGate, now: datetime) -> bool:
    """Learners see no score of the quiz now: exam mode before the release, or `after_due`
    before the latest due date granted for it."""
    return gate.held or scores_hidden_until_due(
        feedback_policy=quiz.feedback_policy, due_at=gate.answers_from, now=now
    )


def attempt_visibility(
    *,
    attempt: Attempt,
    teaches: bool,
    now: datetime | None = None,
    gate: ResultsGate | None = None,
) -> ResultVisibility:
    """What of `attempt` its viewer may see (quizzes.visibility, the one rule; the dates and
    the exam mode from deadlines.selectors.item_results_gate, unless `gate` says them)."""
    quiz = attempt.quiz
    now = now or timezone.now()
    if teaches:  # (instructors see everything: no dates to read)
        gate = ResultsGate(held=False, answers_from=None)
    elif gate is None:
        gate = item_results_gate(item=quiz, now=now)
    return result_visibility(
        feedback_policy=quiz.feedback_policy,
        due_at=gate.answers_from,
        graded=attempt.status == Attempt.Status.GRADED,
        awaiting_manual_grading=attempt.awaiting_manual_grading,
        teaches=teaches,
        now=now,
        held=gate.held,
    )


def _answer_review(number: int, question: AttemptQuestionView) -> AnswerReview:
    shown = question.feedback
    assert shown is not None  # (only questions whose feedback the learner may see)
    # No answer row at all (a question added after grading): nothing answered, no points.
    score = shown.score if shown.score is not None or shown.pending_manual else Decimal(0)
    return AnswerReview(
        number=number,
        text=question.text,
        text_format=question.text_format,
        response=response_summary(
            {"type": question.type, **question.spec}, question.response, question.text_format
        ),
        blanks=blanks_review(
            {"text": question.text, **question.spec}, question.response, question.text_format
        )
        if question.type == "fill_blanks"
        else [],
        points=question.points,
        score=score,
        pending_manual=shown.pending_manual,
        feedback=[text for text in shown.feedback if text],
        explanation=shown.explanation,
    )


def attempt_review(*, attempt: Attempt, now: datetime) -> AttemptReview:
    """The result of an attempt for its learner's page: its read model (the score and the
    details as the quiz's policies show them to the learner now), worded for the page."""
    gate = item_results_gate(item=attempt.quiz, now=now)
    details = attempt_visibility(attempt=attempt, teaches=False, now=now, gate=gate)
    view = attempt_view(
        attempt=attempt, teaches=False, with_questions=details.details, now=now, gate=gate
    )
    return AttemptReview(
        attempt=view,
        held=gate.held,
        release_at=gate.release_at,
        show_total=not quiz_scores_hidden(quiz=attempt.quiz, gate=gate, now=now),
        show_details=details.details,
        details_from=details.details_from,
        answers=[_answer_review(n, q) for n, q in enumerate(view.questions, start=1)],
    )


# --- the API's read models ----------------------------------------------------------------


@dataclass(frozen=True)
class PublicQuestionView:
    """A question as a learner may read it outside an attempt: no keys, ids or stored order."""

    id: int
    quiz: int
    type: str
    title: str
    text: str
    text_format: str
    points: Decimal
    order: int
    spec: dict[str, Any]
    text_html: str  # `text` rendered as the pages show it (sanitised HTML)


def public_question_view(*, question: Question) -> PublicQuestionView:
    key = public_question_key()
    return PublicQuestionView(
        id=question.pk, quiz=question.quiz_id, type=question.type,
        # (without the author's internal id, as the pages show it)
        title=learner_title(question.title),
        text=question.text, text_format=question.text_format, points=question.points,
        order=question.order,
        text_html=question_text_html(question.text, question.text_format),
        # Opaque ids and an order keyed by the server's secret: neither the stored ids
        # nor the stored order (an ordering question's answer) can be read back.
        spec=spec_with_html(
            public_spec(
                question.type, question.spec, seed=int(key[:15], 16), salt=f"q{question.pk}",
                shuffle_choices=True, id_key=key,
            ),
            question.text_format,
        ),
    )  # fmt: skip


@dataclass(frozen=True)
class AttemptResultView:
    score: Decimal | None
    max_score: Decimal | None
    percent: Decimal | None
    passed: bool | None
    penalty: int
    raw_score: Decimal | None = None  # before the retry and late penalties
    late_penalty: int = 0


@dataclass(frozen=True)
class AnswerFeedbackView:
    score: Decimal | None
    feedback: list[str]
    explanation: str
    pending_manual: bool  # an instructor grades it (the page says so; the API's score is null)


@dataclass(frozen=True)
class AttemptQuestionView:
    id: int
    type: str
    title: str
    text: str
    text_format: str
    points: Decimal
    spec: dict[str, Any]  # as the learner sees it: no keys, the attempt's opaque ids
    response: Any  # in the same opaque ids
    feedback: AnswerFeedbackView | None  # None: the quiz's feedback policy hides it (now)
    text_html: str = ""  # `text` rendered as the pages show it (sanitised HTML)


@dataclass(frozen=True)
class AttemptView:
    """An attempt as one viewer may see it (quizzes.visibility decides, once, here)."""

    id: int
    quiz: int
    learner: int
    number: int
    status: str
    started_at: datetime
    deadline: datetime | None
    submitted_at: datetime | None
    graded_at: datetime | None
    late: bool
    awaiting_manual_grading: bool
    result: AttemptResultView | None  # None: not graded, or hidden until the due date
    questions: tuple[AttemptQuestionView, ...] = ()
    late_seconds: int = 0  # how late it was submitted (0: on time)

    @property
    def late_words(self) -> str:
        """ "8.00 → 7.20 (−10%), submitted 1 day late" (the points only when shown)."""
        shown = self.result
        return penalised_words(
            raw=shown.raw_score if shown else None, score=shown.score if shown else None,
            late_seconds=self.late_seconds, penalty=shown.late_penalty if shown else 0,
        )  # fmt: skip

    @property
    def url(self) -> str:
        """Its address in the API (made when read: the pages never ask)."""
        return attempt_url(self.id)

    @property
    def status_label(self) -> str:
        return str(_STATUS_LABELS.get(self.status, self.status))


_STATUS_LABELS = dict(Attempt.Status.choices)


def attempt_url(attempt_id: int) -> str:
    return reverse("api:attempt-detail", kwargs={"pk": attempt_id})


def attempt_view(
    *,
    attempt: Attempt,
    teaches: bool,
    with_questions: bool,
    now: datetime | None = None,
    gate: ResultsGate | None = None,
) -> AttemptView:
    """The attempt as its learner or an instructor of its course may see it (now): the result
    and feedback by the quiz's feedback policy. Every channel serializes this: the API, the
    learner's pages and the attempt.graded webhook; a field that is not here none of them
    shows."""
    visibility = attempt_visibility(attempt=attempt, teaches=teaches, now=now, gate=gate)
    result = None
    if visibility.total:
        result = AttemptResultView(
            score=attempt.score, max_score=attempt.max_score, percent=attempt.percent,
            passed=attempt.passed, penalty=attempt.penalty, raw_score=attempt.raw_score,
            late_penalty=attempt.late_penalty,
        )  # fmt: skip
    questions: list[AttemptQuestionView] = []
    if with_questions:
        answers = {a.question_id: a for a in attempt.answers.all()}
        for item in attempt_questions(attempt=attempt):
            view = dict(item.view)
            answer = answers.get(item.question.pk)
            entry = {key: view.pop(key) for key in ("id", "type", "title", "text", "text_format")}
            # The learner reads the title without the author's internal id (the pages too).
            entry["title"] = entry["title"] if teaches else learner_title(entry["title"])
            entry["text_html"] = question_text_html(entry["text"], entry["text_format"])
            feedback = None
            if visibility.details:
                feedback = AnswerFeedbackView(
                    score=answer.score if answer else None,
                    feedback=list(answer.feedback) if answer else [],
                    explanation=item.question.explanation,
                    pending_manual=bool(answer and answer.needs_manual_grading),
                )
            questions.append(
                AttemptQuestionView(
                    # (the form's view has the points as text: from the question instead)
                    **entry, points=item.question.points,
                    spec=spec_with_html(
                        {key: value for key, value in view.items() if key != "points"}
                        # (a fill-in-the-blanks text is the spec's: its gaps are there)
                        | ({"text": entry["text"]} if "gaps" in view else {}),
                        entry["text_format"],
                    ),
                    response=item.response_to_shown(answer.response) if answer else None,
                    feedback=feedback,
                )
            )  # fmt: skip
    return AttemptView(
        id=attempt.pk, quiz=attempt.quiz_id,
        learner=attempt.learner_id, number=attempt.number, status=attempt.status,
        started_at=attempt.started_at,
        deadline=attempt.deadline, submitted_at=attempt.submitted_at,
        graded_at=attempt.graded_at, late=attempt.late,
        awaiting_manual_grading=attempt.awaiting_manual_grading, result=result,
        questions=tuple(questions), late_seconds=attempt.late_seconds,
    )  # fmt: skip


def attempt_view_for(
    *,
    attempt: Attempt,
    user: Any,
    with_questions: bool,
    gates: Mapping[int, ResultsGate] | None = None,
) -> AttemptView:
    """The attempt as `user` may see it (the attempt's quiz, section and part loaded);
    `gates`: its quiz's (attempts_gates), read once for a list."""
    course_id = attempt.quiz.section.part.course_id
    return attempt_view(
        attempt=attempt, teaches=teaches(user, course_id), with_questions=with_questions,
        gate=(gates or {}).get(attempt.quiz_id),
    )  # fmt: skip


def attempts_gates(*, attempts: Sequence[Attempt]) -> dict[int, ResultsGate]:
    """The results gates of the attempts' quizzes, by quiz id (a list in a few queries)."""
    quizzes = list({attempt.quiz_id: attempt.quiz for attempt in attempts}.values())
    return results_gates(items=quizzes, now=timezone.now())


# --- webhooks (registered in apps.py) ----------------------------------------------------


# What the attempt.graded webhook says of the attempt's result, when its hearer may see it.
ATTEMPT_EVENT_RESULT_FIELDS = (
    "score", "max_score", "percent", "passed", "raw_score", "late_penalty",
)  # fmt: skip


def _attempt_event_data(
    view: AttemptView, *, section_id: int, course_id: int, due_at: datetime | None
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "attempt": view.id, "quiz": view.quiz, "section": section_id, "course": course_id,
        "learner": view.learner, "number": view.number, "status": view.status,
        "due_at": due_at, "late": view.late, "late_seconds": view.late_seconds,
        "graded_at": view.graded_at,
    }  # fmt: skip
    if view.result is not None:
        data |= {name: getattr(view.result, name) for name in ATTEMPT_EVENT_RESULT_FIELDS}
    return data


def attempt_graded_event(attempt_id: int) -> list[tuple[str, EventSubject]]:
    """The attempt.graded webhook's data: the attempt's read model as the course's instructors
    see it, and as its learner may see it now (the result by the quiz's feedback policy)."""
    attempt = Attempt.objects.select_related("quiz__section__part").filter(pk=attempt_id).first()
    if attempt is None or attempt.status != Attempt.Status.GRADED:
        return []
    section_id, course_id = attempt.quiz.section_id, attempt.quiz.section.part.course_id
    # The learner's own due date (their extensions counted).
    due_at = item_schedule(item=attempt.quiz, learner_id=attempt.learner_id).schedule.due_at
    data, learner_data = (
        _attempt_event_data(
            attempt_view(attempt=attempt, teaches=instructor, with_questions=False),
            section_id=section_id,
            course_id=course_id,
            due_at=due_at,
        )
        for instructor in (True, False)
    )
    subject = EventSubject(course_id, attempt.learner_id, data, learner_data)
    return [("attempt.graded", subject)]


# --- the learner's quiz pages (quizzes.views) ----------------------------------------------


def quiz_for_learner(*, quiz_id: int) -> Quiz:
    """A quiz of a published section; anything else: a 404."""
    quiz = get_object_or_404(Quiz.objects.select_related("section__part__course"), pk=quiz_id)
    if not quiz.section.is_published:
        raise Http404
    return quiz


def own_attempt(*, learner: User, attempt_id: int) -> Attempt:
    """The learner's own attempt; anyone else's is a 404, not a 403 (it does not exist for
    them). What the API shows this user, narrowed to their own: the pages are where one
    takes it."""
    return get_object_or_404(
        attempts_visible_to(learner).select_related("quiz__section__part__course"),
        pk=attempt_id,
        learner=learner,
    )


@dataclass(frozen=True)
class QuizPage:
    """The quiz page of one learner: their attempts' read models, what is left, the result."""

    quiz: Quiz
    question_count: int
    attempts: list[AttemptView]  # the newest first; the score only when the learner may see it
    current: AttemptView | None  # the attempt in progress
    attempts_left: int | None  # None: unlimited
    result: QuizResult
    scores_hidden: bool  # under `after_due`, until the due date; in exam mode until released
    held: bool  # exam mode, not released: "submitted" only
    # When hidden scores show: the release date in exam mode (None: on the instructor's
    # release), else the latest due date granted for the quiz.
    results_from: datetime | None
    time_limit_minutes: int | None  # the learner's own (an accommodation multiplies it)
    dates: ItemDates  # the learner's dates (their extensions counted), late policy, time left


def quiz_page_for(*, learner: User, quiz_id: int, now: datetime) -> QuizPage:
    quiz = quiz_for_learner(quiz_id=quiz_id)
    # Through the quiz's manager: each attempt knows its quiz (the read models ask it).
    attempts = list(quiz.attempts.filter(learner=learner).order_by("-number"))
    used = sum(1 for a in attempts if a.status != Attempt.Status.ERROR)
    gate = item_results_gate(item=quiz, now=now)
    views = [
        attempt_view(attempt=a, teaches=False, with_questions=False, now=now, gate=gate)
        for a in attempts
    ]
    dates = item_dates(item=quiz, learner_id=learner.pk, now=now)
    allowed = None if quiz.max_attempts is None else quiz.max_attempts + dates.extra_attempts
    limit = time_limit_for(quiz.time_limit, dates.time_multiplier) if quiz.time_limit else None
    return QuizPage(
        quiz=quiz,
        question_count=quiz.questions.count(),
        attempts=views,
        current=next((v for v in views if v.status == Attempt.Status.IN_PROGRESS), None),
        attempts_left=None if allowed is None else max(allowed - used, 0),
        # From the attempts already loaded: the same policy, no second query.
        result=quiz_result_from(
            quiz=quiz,
            percents=[
                a.percent
                for a in reversed(attempts)
                if a.status == Attempt.Status.GRADED and a.percent is not None
            ],
        ),
        scores_hidden=quiz_scores_hidden(quiz=quiz, gate=gate, now=now),
        held=gate.held,
        results_from=gate.release_at if gate.held else gate.answers_from,
        time_limit_minutes=max(round(limit.total_seconds() / 60), 1) if limit else None,
        dates=dates,
    )


def attempt_responses_shown(*, attempt: Attempt) -> list[tuple[AttemptQuestion, Any]]:
    """Each question of the attempt, in its order, with what the learner has answered so far
    (in the ids they see; None: nothing yet)."""
    answers = {a.question_id: a.response for a in attempt.answers.all()}
    return [
        (item, item.response_to_shown(answers.get(item.question.pk)))
        for item in attempt_questions(attempt=attempt)
    ]


def attempt_answered(*, attempt: Attempt) -> tuple[int, int]:
    """(answered, total) questions of the attempt, for the confirmation page."""
    total = attempt.quiz.questions.count()
    return attempt.answers.exclude(response__isnull=True).count(), total


def questions_visible_to(user: Any) -> QuerySet[Question]:
    """The API's questions: of the quizzes `user` may see (their keys: the serializer's role)."""
    return (
        Question.objects.filter(quiz__in=quizzes_visible_to(user))
        .select_related("quiz__section__part")
        .order_by("quiz_id", "order", "id")
    )


def quiz_visible_get(*, user: Any, quiz_id: int) -> Quiz | None:
    """The quiz, with its section, part and course, if `user` may see it."""
    return (
        quizzes_visible_to(user).select_related("section__part__course").filter(pk=quiz_id).first()
    )


def attempt_ids_of(*, learner: User, quiz: Quiz) -> set[int]:
    return set(Attempt.objects.filter(learner=learner, quiz=quiz).values_list("pk", flat=True))


def question_files(*, key: str, name: str) -> QuerySet[QuestionFile]:
    """A question's image by its key and name (with its question's section and part, for who
    may see it)."""
    return QuestionFile.objects.filter(key=key, name=name).select_related(
        "question__quiz__section__part"
    )


def quiz_taught(*, user: Any, quiz_id: int) -> Quiz | None:
    """The quiz (with its section and part) if `user` teaches its course; else None."""
    quiz = Quiz.objects.select_related("section__part").filter(pk=quiz_id).first()
    if quiz is None or not teaches(user, quiz.section.part.course_id):
        return None
    return quiz
