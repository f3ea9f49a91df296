"""Item analysis of a course's quizzes and exercises, read for its instructors' pages.

A quiz's graded attempts are read in three queries whatever their number (the attempts,
their answers, the questions); an exercise's graded submissions in two. The numbers come
from teaching.stats; the charts from teaching.charts.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from grader.models import CodingExercise, Submission
from quizzes.models import Answer, Attempt, Question, Quiz
from teaching import stats
from teaching.charts import Bar, bar_chart

TOP_WRONG = 10
TOP_FAILING = 10


@dataclass
class OptionCount:
    label: str
    count: int
    right: bool


@dataclass
class QuestionAnalysis:
    question: Question
    attempts: int
    facility: Decimal | None
    discrimination: Decimal | None
    flags: list[str]
    options: list[OptionCount] = field(default_factory=list)
    wrong_answers: list[tuple[str, int]] = field(default_factory=list)

    @property
    def chart(self) -> SafeString | None:
        if not self.options:
            return None
        bars = [Bar(o.label, o.count, highlight=o.right) for o in self.options]
        title = _("Answers chosen: %(question)s") % {"question": str(self.question)[:60]}
        return bar_chart(bars, title=title)


@dataclass
class QuizAnalysis:
    quiz: Quiz
    attempts: int
    histogram: list[int]
    questions: list[QuestionAnalysis]

    @property
    def bins(self) -> list[tuple[str, int]]:
        width = 100 // len(self.histogram)
        return [
            (f"{i * width}–{100 if i == len(self.histogram) - 1 else (i + 1) * width - 1}%", n)
            for i, n in enumerate(self.histogram)
        ]

    @property
    def chart(self) -> SafeString:
        title = _("Scores of %(count)s graded attempts") % {"count": self.attempts}
        return bar_chart([Bar(label, n) for label, n in self.bins], title=title)


def _options(question: Question, responses: list[Any]) -> list[OptionCount]:
    spec = question.spec
    if question.type == "true_false":
        values = Counter(r.get("value") for r in responses if isinstance(r, dict))
        right = spec.get("answer")
        return [
            OptionCount(_("true"), values.get(True, 0), right is True),
            OptionCount(_("false"), values.get(False, 0), right is False),
        ]
    if question.type not in {"single_choice", "multiple_choice"}:
        return []
    picked: Counter[str] = Counter()
    for response in responses:
        if not isinstance(response, dict):
            continue
        chosen = response.get("choices") if question.type == "multiple_choice" else None
        for choice in chosen if isinstance(chosen, list) else [response.get("choice")]:
            if isinstance(choice, str):
                picked[choice] += 1
    return [
        OptionCount(
            f"{c['id']}) {c.get('text', '')}",
            picked.get(c["id"], 0),
            Decimal(str(c.get("weight", 0))) > 0,
        )
        for c in spec.get("choices", [])
    ]


def _wrong_answers(
    question: Question, rows: list[tuple[Any, Decimal | None]]
) -> list[tuple[str, int]]:
    if question.type not in {"short_text", "numeric"}:
        return []
    wrong: Counter[str] = Counter()
    for response, score in rows:
        text = response.get("text") if isinstance(response, dict) else None
        if isinstance(text, str) and text.strip() and (score or 0) < question.points:
            wrong[text.strip()[:200]] += 1
    return wrong.most_common(TOP_WRONG)


def quiz_analysis(*, quiz: Quiz) -> QuizAnalysis:
    attempts = dict(
        Attempt.objects.filter(quiz=quiz, status=Attempt.Status.GRADED).values_list("pk", "percent")
    )
    # A description is text between questions: nothing to analyse.
    questions = list(quiz.questions.exclude(type="description").order_by("order", "id"))
    by_question: dict[int, list[tuple[int, Decimal, Any]]] = defaultdict(list)
    totals: dict[int, Decimal] = defaultdict(Decimal)
    for attempt_id, question_id, score, response in Answer.objects.filter(
        attempt__quiz=quiz, attempt__status=Attempt.Status.GRADED
    ).values_list("attempt_id", "question_id", "score", "response"):
        value = score or Decimal(0)
        by_question[question_id].append((attempt_id, value, response))
        totals[attempt_id] += value
    analysed = []
    for question in questions:
        rows = by_question.get(question.pk, [])
        scores = [score for _a, score, _r in rows]
        rest = [totals[attempt_id] - score for attempt_id, score, _r in rows]
        fac = stats.facility(scores, question.points)
        disc = stats.discrimination(scores, rest) if len(rows) >= 2 else None
        analysed.append(
            QuestionAnalysis(
                question=question, attempts=len(rows), facility=fac, discrimination=disc,
                flags=stats.verdict_flags(facility=fac, discrimination=disc, attempts=len(rows)),
                options=_options(question, [r for _a, _s, r in rows]),
                wrong_answers=_wrong_answers(question, [(r, s) for _a, s, r in rows]),
            )
        )  # fmt: skip
    percents = [p for p in attempts.values() if p is not None]
    return QuizAnalysis(quiz, len(attempts), stats.histogram(percents), analysed)


@dataclass
class ExerciseAnalysis:
    exercise: CodingExercise
    submissions: int
    learners: int
    passed_learners: int
    verdicts: list[tuple[str, int]]
    median_to_pass: float | None
    failing_tests: list[tuple[str, int]]

    @property
    def chart(self) -> SafeString:
        title = _("Verdicts of %(count)s graded submissions") % {"count": self.submissions}
        return bar_chart(
            [
                Bar(label, n, highlight=label == Submission.Verdict.PASSED.label)
                for label, n in self.verdicts
            ],
            title=title,
        )


def exercise_analysis(*, exercise: CodingExercise) -> ExerciseAnalysis:
    rows = list(
        Submission.objects.filter(exercise=exercise, status=Submission.Status.GRADED)
        .order_by("learner_id", "id")
        .values_list("learner_id", "verdict", "results")
    )
    verdicts = Counter(verdict for _l, verdict, _r in rows)
    labels = dict(Submission.Verdict.choices)
    failing: Counter[str] = Counter()
    tries: dict[int, int] = defaultdict(int)
    to_pass: dict[int, int] = {}
    for learner_id, verdict, results in rows:
        tries[learner_id] += 1
        if verdict == Submission.Verdict.PASSED and learner_id not in to_pass:
            to_pass[learner_id] = tries[learner_id]
        for test in (results or {}).get("tests", []) if isinstance(results, dict) else []:
            if isinstance(test, dict) and test.get("status") in {"fail", "error"}:
                failing[str(test.get("name", "?"))[:200]] += 1
    return ExerciseAnalysis(
        exercise=exercise, submissions=len(rows), learners=len(tries),
        passed_learners=len(to_pass),
        verdicts=[(str(labels.get(v, v)), n) for v, n in verdicts.most_common()],
        median_to_pass=stats.median(list(to_pass.values())),
        failing_tests=failing.most_common(TOP_FAILING),
    )  # fmt: skip
