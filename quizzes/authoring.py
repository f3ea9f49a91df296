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

import re
import tempfile
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
from core.versions import content_version, stamp_version
from courses.course_source import CourseSourceError, read_source_text
from courses.models import Section
from deadlines.changes import results_rule_watch
from progress.services import Placement, item_placement_watch
from quizzes import grading
from quizzes.coderunner import CodeRunnerQuestion, exercise_folder_write
from quizzes.gift import GiftError, GiftQuestion, QuestionFile, parse_gift, render_gift
from quizzes.gift import QuestionType as GiftQuestionType
from quizzes.models import VERSIONED_FIELDS, Answer, Question, Quiz
from quizzes.models import QuestionFile as QuestionFileRow
from quizzes.moodle_xml import (
    MoodleXmlError,
    MoodleXmlRenderError,
    parse_moodle_xml,
    render_moodle_xml,
)
from quizzes.question_files import file_key, text_with_keys, text_without_keys

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
    # tags and id number are in no group (core.provenance): they always follow the file.
    return {
        "tags": list(question.tags),
        "idnumber": question.idnumber,
        "type": question.type,
        "title": question.title,
        "text": text_with_keys(question.text, question.files),
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


@dataclass
class GiftImportReport:
    """An import of a GIFT file: a report per quiz (one per $CATEGORY path), and the questions
    left out, each "file:line: question 'name': why"."""

    quizzes: list[QuizImportReport]
    skipped: list[str] = field(default_factory=list)
    # CodeRunner questions imported as exercises (grader.services.exercise_import's lines).
    exercises: list[str] = field(default_factory=list)

    @property
    def quiz(self) -> Quiz:
        return self.quizzes[0].quiz

    def _each(self, name: str) -> list[str]:
        several = len(self.quizzes) > 1
        return [
            f"{report.quiz.title} / {item}" if several else item
            for report in self.quizzes
            for item in getattr(report, name)
        ]

    created = property(lambda self: self._each("created"))
    updated = property(lambda self: self._each("updated"))
    unchanged = property(lambda self: self._each("unchanged"))
    removed = property(lambda self: self._each("removed"))
    kept = property(lambda self: self._each("kept"))
    kept_site = property(lambda self: self._each("kept_site"))
    kept_edited = property(lambda self: self._each("kept_edited"))
    kept_learners = property(lambda self: self._each("kept_learners"))

    @property
    def conflicts(self) -> bool:
        return any(report.conflicts for report in self.quizzes)

    @property
    def imported(self) -> int:
        return sum(
            len(r.created) + len(r.updated) + len(r.unchanged) + len(r.kept_edited)
            + len(r.kept_learners)
            for r in self.quizzes
        )  # fmt: skip

    def lines(self) -> list[str]:
        out = [line for report in self.quizzes for line in report.lines()]
        out += self.exercises
        out += [f"skipped {problem}" for problem in self.skipped]
        out.append(f"{self.imported} questions imported, {len(self.skipped)} skipped")
        return out


# Moodle's category paths start with a context ("$course$", "$system$", …) and "top".
_CONTEXT = re.compile(r"^\$[a-z]+\$$")


def category_parts(path: str) -> list[str]:
    """The names of a $CATEGORY path, without Moodle's context and "top" (a "/" inside a name
    is written "//")."""
    parts = [p.replace("\0", "/").strip() for p in path.replace("//", "\0").split("/")]
    parts = [p for p in parts if p]
    if parts and _CONTEXT.match(parts[0]):
        parts = parts[1:]
    if parts and parts[0] == "top":
        parts = parts[1:]
    return parts


def category_quiz_titles(paths: list[str]) -> dict[str, str]:
    """The quiz title of each category path: its last name, as Moodle names a category; the
    whole path ("Go / Каналы") where two paths end in the same name."""
    leaves = {path: (category_parts(path) or [""])[-1] for path in paths}
    clashing = {leaf for leaf in leaves.values() if list(leaves.values()).count(leaf) > 1}
    return {
        path: (" / ".join(category_parts(path)) if leaf in clashing else leaf)
        for path, leaf in leaves.items()
    }


@transaction.atomic
def quiz_import_gift(
    *,
    section: Section,
    path: Path,
    quiz_title: str | None = None,
    policy: ImportPolicy = ImportPolicy.MERGE,
    dry_run: bool = False,
    check_later: bool = False,
) -> GiftImportReport:
    """Import a GIFT or a Moodle XML file (by its ".xml" ending or its "<?xml" start) as the
    questions of a section's quizzes, as Moodle reads it.

    Every $CATEGORY path is a quiz of the section, titled by the path's last name (questions
    before any $CATEGORY go into the section's own quiz, titled as the section); with
    `quiz_title`, all go into that one quiz. A question we cannot represent is skipped and
    reported with its line; the rest is imported. Only a file with no question to import is
    refused (QuizImportError). Questions are matched by title (else by position) and updated
    in place, so learners' answers stay attached; titles may repeat (matched in order).
    Nothing made or edited on the site, nor an answered question's key, is changed or
    removed unless `policy` is OVERWRITE (core.provenance); the report names what was kept.
    """
    problems: list[GiftError] = []
    coderunner: list[CodeRunnerQuestion] = []
    parsed = _read_bank(path, problems, coderunner)
    skipped = [str(problem) for problem in problems]
    questions: list[GiftQuestion] = []
    for index, question in enumerate(parsed, start=1):
        try:
            grading.validate_spec(question.type, question.spec)
        except grading.SpecError as error:
            skipped.append(f"{path}:{question.line}: question {_label(question, index)!r}: {error}")
        else:
            questions.append(question)
    exercises = _coderunner_import(
        section=section, path=path, questions=coderunner, policy=policy, dry_run=dry_run,
        check_later=check_later, skipped=skipped,
    )  # fmt: skip
    if not questions and not exercises:
        raise QuizImportError(*skipped, f"{path}: no question in the file can be imported")

    titles = category_quiz_titles(sorted({q.category for q in questions if q.category}))
    by_quiz: dict[str, list[GiftQuestion]] = {}
    for question in questions:
        title = quiz_title or titles.get(question.category) or section.title
        by_quiz.setdefault(title, []).append(question)
    report = GiftImportReport(
        quizzes=[
            _quiz_import(section=section, title=title, questions=group, policy=policy)
            for title, group in by_quiz.items()
        ],
        skipped=skipped,
        exercises=exercises,
    )
    if dry_run:
        transaction.set_rollback(True)
    return report


def _coderunner_import(
    *,
    section: Section,
    path: Path,
    questions: list[CodeRunnerQuestion],
    policy: ImportPolicy,
    dry_run: bool,
    check_later: bool,
    skipped: list[str],
) -> list[str]:
    """Each CodeRunner question as an exercise of the section, checked as any exercise import
    checks it (the sample answer must pass, the preload must not); the report's lines."""
    from grader.services import ExerciseError, exercise_import

    lines: list[str] = []
    for question in questions:
        with tempfile.TemporaryDirectory(prefix="zachet-coderunner-") as folder:
            try:
                imported = exercise_import(
                    path=exercise_folder_write(question, Path(folder)),
                    section=section,
                    policy=policy,
                    dry_run=dry_run,
                    check_later=check_later,
                )
            except ExerciseError as error:
                why = str(error).replace(f"{folder}/", "")
                skipped.append(f"{path}:{question.line}: question {question.name!r}: {why}")
                continue
        lines += imported.lines()
        if not dry_run and not check_later:
            verdict = "passed, published" if imported.check.ok else "failed, not published"
            lines.append(f"exercise {imported.exercise.slug}: the check {verdict}")
    return lines


def _read_bank(
    path: Path, problems: list[GiftError], coderunner: list[CodeRunnerQuestion]
) -> list[GiftQuestion]:
    if path.suffix.lower() == ".xml" or (path.is_file() and path.read_bytes()[:5] == b"<?xml"):
        try:
            if path.stat().st_size > 20 * 1024 * 1024:
                raise QuizImportError(f"{path}: larger than 20 MB")
            return parse_moodle_xml(
                path.read_bytes(), source=str(path), problems=problems, coderunner=coderunner
            )
        except MoodleXmlError as error:
            raise QuizImportError(str(error)) from None
        except OSError as error:
            raise QuizImportError(f"{path}: {error.strerror}") from None
    try:
        text = read_source_text(path)
    except CourseSourceError as error:
        raise QuizImportError(str(error)) from None
    return parse_gift(text, source=str(path), problems=problems)


def _quiz_import(
    *, section: Section, title: str, questions: list[GiftQuestion], policy: ImportPolicy
) -> QuizImportReport:
    quiz = Quiz.objects.filter(section=section, title=title).first()
    if quiz is None:
        quiz = quiz_save(quiz=Quiz(section=section, title=title))
    report = QuizImportReport(quiz=quiz)
    existing = list(quiz.questions.order_by("order", "id"))
    by_title: dict[str, list[Question]] = {}
    for row in existing:
        if row.title:
            by_title.setdefault(row.title, []).append(row)
    answered = set(
        Answer.objects.filter(question__in=existing).values_list("question_id", flat=True)
    )
    used: set[int] = set()
    for index, source in enumerate(questions, start=1):
        wanted = _question_fields(source, order=index)
        match: Question | None = None
        if source.title:
            # Titles may repeat (Moodle allows it): the n-th of a title is the n-th row of it.
            match = next((r for r in by_title.get(source.title, []) if r.pk not in used), None)
        elif index - 1 < len(existing):
            candidate = existing[index - 1]
            match = candidate if not candidate.title and candidate.pk not in used else None
        label = _label(source, index)
        if match is None:
            report.created.append(label)
            _files_save(_question_create(quiz=quiz, fields=wanted), source.files)
            continue
        used.add(match.pk)
        _question_merge(
            match, wanted, label=label, report=report, policy=policy, answered=match.pk in answered
        )
        _files_save(match, source.files)
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
    return report


def question_write(*, question: Question, update_fields: Iterable[str] | None = None) -> None:
    """Save the question's row, with the version of its answer key when the save writes the
    key (core.versions). Every write of a question comes here; the public services around it
    add the checks and follow-ups (question_save, the imports)."""
    kwargs: dict[str, Any] = {} if update_fields is None else {"update_fields": [*update_fields]}
    version = question.current_key_version()
    stamp_version(question, kwargs, field="key_version", covers=VERSIONED_FIELDS, version=version)
    question.save(**kwargs)


def _files_save(question: Question, files: tuple[QuestionFile, ...]) -> None:
    """Add the file's images the question does not have yet (by key and name); none is
    removed: the text that refers to one may be the site's, kept by the merge."""
    have = set(question.files.values_list("key", "name"))
    QuestionFileRow.objects.bulk_create(
        QuestionFileRow(
            question=question,
            key=key,
            name=file.name,
            content_type=file.content_type,
            data=file.data,
        )
        for file in files
        if (key := file_key(file.data), file.name) not in have
    )


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


def _bank_question(question: Question, category: str) -> GiftQuestion:
    files = {f.name: f for f in question.files.all()}
    return GiftQuestion(
        type=cast(Any, question.type),
        title=question.title,
        text=text_without_keys(question.text),
        files=tuple(
            QuestionFile(name=f.name, content_type=f.content_type, data=bytes(f.data))
            for f in files.values()
        ),
        text_format=cast(Any, question.text_format),  # a TextFormat choice
        spec=question.spec,
        general_feedback=question.explanation,
        category=category,
        line=0,
        points=question.points,
        tags=tuple(question.tags),
        idnumber=question.idnumber,
    )


def quiz_export_moodle_xml(*, quiz: Quiz) -> tuple[str, list[str]]:
    """The quiz as Moodle XML, and what was left out ("title: why")."""
    # The category names the quiz, so importing the export finds the same quiz.
    category = "$course$/top/" + quiz.title.replace("/", "//")
    written, skipped = [], []
    for question in quiz.questions.order_by("order", "id"):
        bank = _bank_question(question, category)
        try:
            render_moodle_xml([bank])
        except MoodleXmlRenderError as error:
            skipped.append(f"{question.title or question.text[:40]}: {error.message}")
            continue
        written.append(bank)
    return render_moodle_xml(written), skipped


def quiz_export_gift(*, quiz: Quiz) -> tuple[str, list[str]]:
    """The quiz as GIFT, and the titles of questions GIFT cannot express (left out)."""
    # The category names the quiz, so importing the export finds the same quiz ("/" inside a
    # name is written "//", as Moodle does).
    category = quiz.title.replace("/", "//")
    questions = list(quiz.questions.order_by("order", "id"))
    skipped = [q.title or q.text[:40] for q in questions if q.type not in GIFT_TYPES]
    text = render_gift(
        [
            GiftQuestion(
                tags=tuple(q.tags),
                idnumber=q.idnumber,
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
    with (
        transaction.atomic(),
        item_placement_watch(lambda: _placement(quiz)),
        results_rule_watch(quiz),
    ):
        quiz.save()
    return quiz


def quiz_deletable(quiz: Quiz) -> bool:
    return not quiz.attempts.exists()


def quiz_delete(*, quiz: Quiz) -> None:
    if not quiz_deletable(quiz):
        raise QuizEditError("learners have attempted this quiz; it cannot be deleted")
    with transaction.atomic(), item_placement_watch(lambda: _placement(quiz)):
        quiz.delete()


class QuestionEditConflict(Exception):
    """Someone saved the question after the editor showed it: nothing was written."""


def question_edit_stamp(question: Question) -> str:
    """A digest of what the question editor edits: its check that nobody saved the question
    since it was shown (the order, which moves apart, is not in it)."""
    return content_version(
        question.type, question.title, question.text, Decimal(question.points),
        question.explanation, question.spec,
    )  # fmt: skip


def question_save(*, question: Question, seen_stamp: str | None = None) -> Question:
    """Save a question; its spec is checked against its type (docs/question-types.md).
    `seen_stamp`: the question's question_edit_stamp as an editor showed it; if someone saved
    it since, QuestionEditConflict and nothing is written."""
    question.full_clean()  # Question.clean runs grading.validate_spec
    with transaction.atomic():
        if seen_stamp is not None and question.pk is not None:
            # The row lock makes compare-then-write one step against another editor's save.
            stored = Question.objects.select_for_update().filter(pk=question.pk).first()
            if stored is not None and question_edit_stamp(stored) != seen_stamp:
                raise QuestionEditConflict
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
