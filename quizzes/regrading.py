"""Grading graded attempts again after an instructor fixed a key: computed first, written later.

`attempts_regrade` computes what each attempt would score under the questions as they are
now (a dry run: nothing is written); `attempt_regrade_apply` writes one computed result,
unless the attempt changed since (then it is left alone and reported stale), and moves the
learner's progress with it, either way (a pass that becomes a fail reopens the section).

An instructor's own grade of an answer stands; so does an essay's. The retry penalty the
attempt was given stays: a regrade changes the key, not which attempt this was.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from core.scopes import latest_per_learner
from quizzes.grading.attempt import answers_graded
from quizzes.models import Answer, Attempt, Question, Quiz
from quizzes.scoring import attempt_score
from quizzes.services import quiz_progress_record
from webhooks.services import event_emit


@dataclass(frozen=True)
class AttemptRegrade:
    attempt_id: int
    learner_id: int
    old_score: Decimal
    new_score: Decimal
    old_percent: Decimal
    new_percent: Decimal
    old_passed: bool
    new_passed: bool
    old_max_score: Decimal
    max_score: Decimal
    # The answers whose grade changes: question id -> score, feedback, details, key version,
    # and the score it had (apply writes nothing if it is no longer that).
    answers: dict[int, dict[str, Any]]

    @property
    def changed(self) -> bool:
        """Anything of the grade: a score or its feedback, the total, the percent (points
        changed), or passing."""
        old = (self.old_score, self.old_percent, self.old_max_score, self.old_passed)
        return bool(self.answers) or old != (
            self.new_score,
            self.new_percent,
            self.max_score,
            self.new_passed,
        )

    def detail(self) -> dict[str, Any]:
        """What apply needs, as JSON."""
        return {
            "old_percent": str(self.old_percent), "new_percent": str(self.new_percent),
            "new_score": str(self.new_score), "new_passed": self.new_passed,
            "max_score": str(self.max_score),
            "answers": {str(k): v for k, v in self.answers.items()},
        }  # fmt: skip


def attempts_in_scope(*, quiz: Quiz, latest_only: bool) -> QuerySet[Attempt]:
    """The graded attempts a regrade covers: all, or each learner's latest graded one."""
    graded = Attempt.objects.filter(quiz=quiz, status=Attempt.Status.GRADED)
    return latest_per_learner(graded, by="number") if latest_only else graded


def attempts_regrade(
    *, attempts: Sequence[Attempt], questions: Sequence[Question], question_id: int | None = None
) -> list[AttemptRegrade]:
    """Each attempt's result under `questions` (the quiz's, as they are now). With
    `question_id`, only that question's answers are graded again; the others keep theirs."""
    results = []
    for attempt in attempts:
        quiz = attempt.quiz
        answers = {a.question_id: a for a in attempt.answers.all()}
        raw = Decimal(0)
        changed_answers: dict[int, dict[str, Any]] = {}
        graded = answers_graded(questions, answers, regrade=True, only_question=question_id)
        for question, result in graded:
            answer = answers.get(question.id)
            stored = answer.score if answer is not None and answer.score is not None else None
            if result is None:  # keeps its grade
                raw += stored or Decimal(0)
                continue
            raw += result.score
            if answer is None or stored != result.score or answer.feedback != list(result.feedback):
                changed_answers[question.id] = {
                    "score": str(result.score), "feedback": list(result.feedback),
                    "details": dict(result.details),
                    "key_version": question.key_version,
                    "old_score": None if stored is None else str(stored),
                }  # fmt: skip
        max_score = sum((q.points for q in questions), Decimal(0))
        # The late penalty stays: the attempt was as late when made as it was then.
        new = attempt_score(
            raw=raw, max_score=max_score, penalty=attempt.penalty, pass_score=quiz.pass_score,
            late_penalty=attempt.late_penalty,
        )  # fmt: skip
        results.append(
            AttemptRegrade(
                attempt_id=attempt.pk, learner_id=attempt.learner_id,
                old_score=attempt.score or Decimal(0), new_score=new.score,
                old_percent=attempt.percent or Decimal(0), new_percent=new.percent,
                old_passed=bool(attempt.passed), new_passed=new.passed,
                old_max_score=attempt.max_score or Decimal(0), max_score=new.max_score,
                answers=changed_answers,
            )
        )  # fmt: skip
    return results


def attempt_regrade_apply(
    *, attempt_id: int, old_score: Decimal, old_passed: bool, detail: dict[str, Any]
) -> bool:
    """Write a computed regrade; False (nothing written) if the attempt's grade is no longer
    the one the regrade started from (graded again, graded by hand, deleted)."""
    with transaction.atomic():
        attempt = (
            Attempt.objects.select_for_update(of=("self",))
            .select_related("quiz")
            .filter(pk=attempt_id, status=Attempt.Status.GRADED)
            .first()
        )
        if attempt is None or (attempt.score or Decimal(0), bool(attempt.passed)) != (
            old_score,
            old_passed,
        ):
            return False
        existing = {a.question_id: a for a in attempt.answers.all()}
        # Everything checked before anything is written: an answer graded by hand, or graded
        # otherwise, since the dry run leaves the whole attempt alone.
        for question_id, grade in detail["answers"].items():
            answer = existing.get(int(question_id))
            current = None if answer is None or answer.score is None else str(answer.score)
            if answer is not None and (
                answer.graded_by_id is not None or current != grade["old_score"]
            ):
                return False
        now = timezone.now()
        for question_id, grade in detail["answers"].items():
            answer = existing.get(int(question_id)) or Answer(
                attempt=attempt, question_id=int(question_id), response=None, saved_at=now
            )
            answer.score = Decimal(grade["score"])
            answer.feedback = grade["feedback"]
            answer.details = grade["details"]
            answer.key_version = grade["key_version"]
            answer.needs_manual_grading = False
            answer.graded_at = now
            answer.save()
            existing[answer.question_id] = answer
        # The total from the answers as they now are (an instructor's grade of another answer
        # since the dry run counts), under the quiz's rules as they now are.
        raw = sum((a.score or Decimal(0) for a in existing.values()), Decimal(0))
        result = attempt_score(
            raw=raw, max_score=Decimal(detail["max_score"]), penalty=attempt.penalty,
            pass_score=attempt.quiz.pass_score, late_penalty=attempt.late_penalty,
        )  # fmt: skip
        attempt.raw_score = raw
        attempt.score, attempt.max_score = result.score, result.max_score
        attempt.percent, attempt.passed = result.percent, result.passed
        attempt.save(update_fields=["raw_score", "score", "max_score", "percent", "passed"])
        quiz_progress_record(learner_id=attempt.learner_id, quiz=attempt.quiz)
        event_emit(event="attempt.graded", object_id=attempt.pk)
        return True


def key_versions(quiz: Quiz, questions: Iterable[Question]) -> dict[str, str]:
    """What a regrade computed against (each question's key, the pass score), to refuse
    applying it after another edit."""
    return {"pass_score": str(quiz.pass_score), **{str(q.pk): q.key_version for q in questions}}
