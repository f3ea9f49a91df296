"""Instructors' writes: quizzes and their questions, from the admin, the API and GIFT files,
and back to GIFT.

Every write of a quiz or a question goes through here, for three follow-ups no save listener
does for us:
- a question's `key_version` follows its answer key: `question_write` is the one place a
  question row is saved, and stamps it (core.versions);
- a quiz's `updated_at` moves with any change to its questions (`quizzes_touch`): the
  grading worker caches a quiz's questions keyed by (quiz id, updated_at);
- a quiz added, moved or deleted changes what every learner of its section must complete:
  progress refreshes those sections after the commit (`item_placement_watch`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, cast, get_args

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from core.provenance import (
    FieldGroups,
    ImportPolicy,
    field_values,
    made_by_import,
    merge_into,
    record_as_imported,
)
from core.versions import stamp_version
from courses.course_source import CourseSourceError, read_source_text
from courses.models import Section
from progress.services import Placement, item_placement_watch
from quizzes import grading
from quizzes.gift import GiftError, GiftQuestion, parse_gift, render_gift
from quizzes.gift import QuestionType as GiftQuestionType
from quizzes.models import VERSIONED_FIELDS, Answer, Question, Quiz

# Question types GIFT can express; others (ordering) are authored elsewhere.
GIFT_TYPES = frozenset(get_args(GiftQuestionType))


class QuizImportError(Exception):
    """The import was refused; nothing was written. `problems`: each thing to fix, with its
    file and line (the message is them, a line each)."""

    def __init__(self, *problems: str) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(problems))


@dataclass
class QuizImportReport:
    quiz: Quiz
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    # Not removed although the file no longer has them: learners answered them.
    kept: list[str] = field(default_factory=list)
    # Not removed although the file no longer has them: made or edited on the site.
    kept_site: list[str] = field(default_factory=list)
    # Not changed although the file changes them (core.provenance): "title: fields".
    kept_edited: list[str] = field(default_factory=list)
    kept_learners: list[str] = field(default_factory=list)

    @property
    def conflicts(self) -> bool:
        return bool(self.kept_site or self.kept_edited or self.kept_learners)

    def lines(self) -> list[str]:
        out = [f"created question {t}" for t in self.created]
        out += [f"updated question {t}" for t in self.updated]
        out += [f"removed question {t}" for t in self.removed]
        out += [
            f"kept question {t} (not in the file, but learners have answered it)" for t in self.kept
        ]
        out += [
            f"kept question {t} (not in the file, but made or edited on the site; "
            "--overwrite removes it)"
            for t in self.kept_site
        ]
        out += [
            f"kept question {t} as edited on the site (the file changes it too; "
            "--overwrite takes the file's)"
            for t in self.kept_edited
        ]
        out += [
            f"kept question {t} as it is: learners have answered it (--overwrite takes the "
            "file's; then regrade)"
            for t in self.kept_learners
        ]
        out += [f"unchanged question {t}" for t in self.unchanged]
        kept = len(self.kept) + len(self.kept_site) + len(self.kept_edited)
        kept += len(self.kept_learners)
        out.append(
            f"quiz {self.quiz.title!r}: {len(self.created)} created, {len(self.updated)} updated, "
            f"{len(self.removed)} removed, {len(self.unchanged)} unchanged"
            + (f", {kept} kept" if kept else "")
        )
        return out


# The groups of a question's fields an import owns (core.provenance): the answer key is one
# (a type goes with its spec), the wording another.
QUESTION_GROUPS: FieldGroups = (
    ("type", "spec", "points"),
    ("title",),
    ("text", "text_format"),
    ("explanation",),
    ("order",),
)


def _question_fields(question: GiftQuestion, order: int) -> dict[str, Any]:
    return {
        "type": question.type,
        "title": question.title,
        "text": question.text,
        "text_format": question.text_format,
        "points": Decimal(question.points),
        "explanation": question.general_feedback,
        "spec": question.spec,
        "order": order,
    }


def _placement(quiz: Quiz) -> Placement | None:
    """Where the quiz is in the database (a quiz always counts towards its section)."""
    if quiz.pk is None:
        return None
    section = Quiz.objects.filter(pk=quiz.pk).values_list("section_id", flat=True).first()
    return None if section is None else (section, True)


def quizzes_touch(quiz_ids: set[int | None]) -> None:
    """Move the quizzes' updated_at: their questions changed (the worker's cache key)."""
    ids = [quiz_id for quiz_id in quiz_ids if quiz_id is not None]
    Quiz.objects.filter(pk__in=ids).update(updated_at=timezone.now())


def _label(question: GiftQuestion | Question, index: int) -> str:
    return question.title or f"#{index} {question.text[:40]!r}"


@transaction.atomic
def quiz_import_gift(
    *,
    section: Section,
    path: Path,
    quiz_title: str | None = None,
    policy: ImportPolicy = ImportPolicy.MERGE,
    dry_run: bool = False,
) -> QuizImportReport:
    """Import a GIFT file as the questions of a section's quiz, all or nothing.

    Questions are matched by title (else by position) and updated in place, so
    learners' answers stay attached. The quiz is the section's quiz of that
    title (default: the file's first $CATEGORY leaf, else the section title).
    Nothing made or edited on the site, nor an answered question's key, is changed or
    removed unless `policy` is OVERWRITE (core.provenance); the report names what was kept.
    """
    problems: list[GiftError] = []
    try:
        text = read_source_text(path)
    except CourseSourceError as error:
        raise QuizImportError(str(error)) from None
    questions = parse_gift(text, source=str(path), problems=problems)
    found = [str(problem) for problem in problems]
    for index, question in enumerate(questions, start=1):
        try:
            grading.validate_spec(question.type, question.spec)
        except grading.SpecError as error:
            found.append(f"{path}:{question.line}: question {_label(question, index)!r}: {error}")
    titles = [q.title for q in questions if q.title]
    for duplicate in sorted({t for t in titles if titles.count(t) > 1}):
        line = [q.line for q in questions if q.title == duplicate][1]
        found.append(f"{path}:{line}: question title {duplicate!r} is used twice")
    if found:
        raise QuizImportError(*found)
    if not questions:
        raise QuizImportError(f"{path}: no questions in the file")

    title = (
        quiz_title
        or (questions[0].category.split("/")[-1].strip() if questions[0].category else "")
        or section.title
    )
    quiz = Quiz.objects.filter(section=section, title=title).first()
    if quiz is None:
        quiz = quiz_save(quiz=Quiz(section=section, title=title))
    report = QuizImportReport(quiz=quiz)
    existing = list(quiz.questions.order_by("order", "id"))
    by_title = {q.title: q for q in existing if q.title}
    answered = set(
        Answer.objects.filter(question__in=existing).values_list("question_id", flat=True)
    )
    used: set[int] = set()
    for index, source in enumerate(questions, start=1):
        wanted = _question_fields(source, order=index)
        row = by_title.get(source.title) if source.title else None
        if row is None and not source.title and index - 1 < len(existing):
            candidate = existing[index - 1]
            row = candidate if not candidate.title and candidate.pk not in used else None
        label = _label(source, index)
        if row is None:
            report.created.append(label)
            _question_create(quiz=quiz, fields=wanted)
            continue
        used.add(row.pk)
        _question_merge(
            row, wanted, label=label, report=report, policy=policy, answered=row.pk in answered
        )
    if policy != ImportPolicy.ADD_ONLY:
        for index, row in enumerate(existing, start=1):
            if row.pk in used or row.type not in GIFT_TYPES:
                continue  # (a type GIFT cannot express is not "missing" from the file)
            if row.pk in answered:
                report.kept.append(_label(row, index))
            elif policy != ImportPolicy.OVERWRITE and not made_by_import(
                current=field_values(row, QUESTION_GROUPS),
                recorded=row.import_digests,
                groups=QUESTION_GROUPS,
            ):
                report.kept_site.append(_label(row, index))
            else:
                row.delete()
                report.removed.append(_label(row, index))
    if report.created or report.updated or report.removed:
        quizzes_touch({quiz.pk})
    if dry_run:
        transaction.set_rollback(True)
    return report


def question_write(*, question: Question, update_fields: Iterable[str] | None = None) -> None:
    """Save the question's row, with the version of its answer key when the save writes the
    key (core.versions). Every write of a question comes here; the public services around it
    add the checks and follow-ups (question_save, the imports)."""
    kwargs: dict[str, Any] = {} if update_fields is None else {"update_fields": [*update_fields]}
    version = question.current_key_version()
    stamp_version(question, kwargs, field="key_version", covers=VERSIONED_FIELDS, version=version)
    question.save(**kwargs)


def _question_create(*, quiz: Quiz, fields: dict[str, Any]) -> Question:
    question = Question(quiz=quiz, **fields)
    record_as_imported(question, QUESTION_GROUPS)
    question_write(question=question)
    return question


def _question_merge(
    row: Question,
    wanted: dict[str, Any],
    *,
    label: str,
    report: QuizImportReport,
    policy: ImportPolicy,
    answered: bool,
) -> bool:
    """Merge the file's version of a question into its row; True if the row changed."""
    merged = merge_into(
        row,
        wanted,
        QUESTION_GROUPS,
        protected=VERSIONED_FIELDS if answered else (),
        policy=policy,
    )
    if merged.kept_edited:
        report.kept_edited.append(f"{label}: {', '.join(merged.kept_edited)}")
    if merged.kept_learners:
        report.kept_learners.append(f"{label}: {', '.join(merged.kept_learners)}")
    if merged.take or merged.digests != row.import_digests:
        row.import_digests = merged.digests
        question_write(question=row)
    if merged.take:
        report.updated.append(f"{label}: {', '.join(merged.take)}")
    elif not merged.conflicts:
        report.unchanged.append(label)
    return bool(merged.take)


def question_upsert(
    *,
    quiz: Quiz,
    title: str,
    fields: dict[str, Any],
    policy: ImportPolicy = ImportPolicy.MERGE,
) -> tuple[Question, bool, list[str]]:
    """Create or merge the quiz's question of that title (the spec is validated first): the
    question, whether it changed, and what was kept (report lines, as quiz_import_gift's)."""
    try:
        grading.validate_spec(fields["type"], fields["spec"])
    except grading.SpecError as error:
        raise QuizImportError(f"question {title!r}: {error}") from None
    question = quiz.questions.filter(title=title).first()
    if question is None:
        question = _question_create(quiz=quiz, fields={"title": title, **fields})
        quizzes_touch({quiz.pk})
        return question, True, []
    report = QuizImportReport(quiz=quiz)
    changed = _question_merge(
        question,
        {"title": title, **fields},
        label=title,
        report=report,
        policy=policy,
        answered=question.answers.exists(),
    )
    if changed:
        quizzes_touch({quiz.pk})
    return question, changed, [line for line in report.lines() if line.startswith("kept ")]


def quiz_export_gift(*, quiz: Quiz) -> tuple[str, list[str]]:
    """The quiz as GIFT, and the titles of questions GIFT cannot express (left out)."""
    # The category names the quiz, so importing the export finds the same quiz.
    category = quiz.title
    questions = list(quiz.questions.order_by("order", "id"))
    skipped = [q.title or q.text[:40] for q in questions if q.type not in GIFT_TYPES]
    text = render_gift(
        [
            GiftQuestion(
                type=cast(Any, q.type),  # one of GIFT_TYPES (filtered below)
                title=q.title,
                text=q.text,
                text_format=cast(Any, q.text_format),  # a TextFormat choice
                spec=q.spec,
                general_feedback=q.explanation,
                category=category,
                line=0,
                points=q.points,
            )
            for q in questions
            if q.type in GIFT_TYPES
        ]
    )
    return text, skipped


# --- API writes (instructors) -------------------------------------------------------


class QuizEditError(Exception):
    """Refused: the edit would lose learners' work."""


def quiz_save(*, quiz: Quiz) -> Quiz:
    """Save a quiz (new, edited or moved) after validating it (pass score, dates in order)."""
    quiz.full_clean()
    with transaction.atomic(), item_placement_watch(lambda: _placement(quiz)):
        quiz.save()
    return quiz


def quiz_deletable(quiz: Quiz) -> bool:
    return not quiz.attempts.exists()


def quiz_delete(*, quiz: Quiz) -> None:
    if not quiz_deletable(quiz):
        raise QuizEditError("learners have attempted this quiz; it cannot be deleted")
    with transaction.atomic(), item_placement_watch(lambda: _placement(quiz)):
        quiz.delete()


def question_save(*, question: Question) -> Question:
    """Save a question; its spec is checked against its type (docs/question-types.md)."""
    question.full_clean()  # Question.clean runs grading.validate_spec
    with transaction.atomic():
        before = Question.objects.filter(pk=question.pk).values_list("quiz_id", flat=True).first()
        question_write(question=question)
        quizzes_touch({question.quiz_id, before})  # both quizzes when it moves
    return question


def question_add(*, question: Question) -> Question:
    """Save a new question as its quiz's last (question_save's checks)."""
    last = question.quiz.questions.aggregate(last=Max("order"))["last"]
    question.order = (last or 0) + 1
    return question_save(question=question)


def question_deletable(question: Question) -> bool:
    return not question.answers.exists()


def question_delete(*, question: Question) -> None:
    if not question_deletable(question):
        raise QuizEditError("learners have answered this question; it cannot be deleted")
    with transaction.atomic():
        question.delete()
        quizzes_touch({question.quiz_id})


def question_move(*, question: Question, by: int) -> None:
    """Move a question `by` places in its quiz (-1: up, 1: down); the quiz's questions are
    numbered 1, 2, 3... again in the order shown. At the top or the bottom already: nothing.

    The quiz's row is locked first, so two instructors moving questions of one quiz at once
    each see the other's order (not two questions with one number)."""
    with transaction.atomic():
        Quiz.objects.select_for_update().filter(pk=question.quiz_id).first()
        ids = list(
            Question.objects.filter(quiz_id=question.quiz_id)
            .order_by("order", "id")
            .values_list("id", flat=True)
        )
        if question.pk not in ids:
            raise QuizEditError("the question is not in this quiz")
        at = ids.index(question.pk)
        to = at + by
        if not 0 <= to < len(ids) or by == 0:
            return
        ids.insert(to, ids.pop(at))
        moved = [Question(pk=pk, order=number) for number, pk in enumerate(ids, start=1)]
        # order is not graded (no key version moves): a bulk update is enough.
        Question.objects.bulk_update(moved, ["order"])
        quizzes_touch({question.quiz_id})
