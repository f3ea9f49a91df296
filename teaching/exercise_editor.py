"""The exercise editor of the teaching pages: an exercise's statement, limits and scoring as
fields, and its files (starter, reference solution, hidden tests, visible examples, support
files) each as a name and a code editor, added, renamed or removed one by one.

Saving goes through grader.services.exercise_edit: the exercise is unpublished, its check
(the reference passes every test, the starter does not) is queued for a worker, and it is
published when that passes, if the author asked. Every refusal names the field, or the file
group, file number and file name, in the instructor's language; what was typed is kept.

The admin's CodingExercise form uses the same file rows (FilesWidget, below).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django import forms
from django.http import QueryDict
from django.shortcuts import get_object_or_404
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from courses.models import Course, Section
from grader.exercise_source import DEFAULT_LIMITS, MAX_BYTES, MAX_FILES
from grader.models import CodingExercise
from grader.runners.files import check_name
from grader.services import (
    CHECK_NOT_RUN,
    CHECK_REFERENCE_FAILS,
    CHECK_RUNNER_FAILED,
    CHECK_STARTER_PASSES,
    exercise_edit_stamp,
)

# The file groups, in the order the page shows them: (role, model field, title, hint).
ROLES: tuple[tuple[str, str, Promise, Promise], ...] = (
    ("starter", "starter_files", gettext_lazy("Starter code"),
     gettext_lazy("What a learner starts from and sends back: the files their solution is.")),
    ("reference", "reference_files", gettext_lazy("Reference solution"),
     gettext_lazy("The starter's files, solved: it must pass every test. Never shown to "
                  "learners.")),
    ("test", "test_files", gettext_lazy("Hidden tests"),
     gettext_lazy("What grades a submission; learners see each test's name and result, "
                  "never its code. At least one.")),
    ("example", "example_files", gettext_lazy("Visible examples"),
     gettext_lazy("Tests shown to learners on the exercise page; they are run too.")),
    ("support", "support_files", gettext_lazy("Support files"),
     gettext_lazy("Anything else the tests need (go.mod, data files); not shown to "
                  "learners.")),
)  # fmt: skip
ROLE_TITLES = {role: title for role, _field, title, _hint in ROLES}
ROLE_FIELDS = {role: name for role, name, _title, _hint in ROLES}
PREFIX = "files"
MAX_ROWS = MAX_FILES * 5
# Extensions a file of each group may have, per language.
EXTENSIONS = {
    "go": {
        "starter": (".go",),
        "reference": (".go",),
        "test": ("_test.go",),
        "example": ("_test.go",),
        "support": (".go", ".mod", ".sum", ".txt", ".json", ".csv", ".md"),
    },
    "python": {
        "starter": (".py",),
        "reference": (".py",),
        "test": (".py",),
        "example": (".py",),
        "support": (".py", ".txt", ".json", ".csv", ".md", ".cfg", ".ini", ".toml"),
    },
}
# The limits an author may set: a check runs the sandbox twice inside one worker task.
SECONDS_RANGE = (0.1, 30.0)
MEMORY_MB_RANGE = (32, 2048)
OUTPUT_KB_RANGE = (1, 1024)
LANGUAGES = ("go", "python")


class ExerciseForm(forms.Form):
    """The fields of an exercise other than its files."""

    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    slug = forms.SlugField(
        label=gettext_lazy("Slug (a name for the address and imports)"), max_length=100
    )
    statement = forms.CharField(
        label=gettext_lazy("Statement (Markdown)"), widget=forms.Textarea(attrs={"rows": 8})
    )
    language = forms.ChoiceField(
        label=gettext_lazy("Language"), choices=CodingExercise.Language.choices
    )
    scoring = forms.ChoiceField(
        label=gettext_lazy("Scoring"), choices=CodingExercise.Scoring.choices
    )
    points = forms.DecimalField(
        label=gettext_lazy("Points"),
        min_value=Decimal(0),
        max_value=Decimal(10_000),
        max_digits=7,
        decimal_places=2,
    )
    cpu_seconds = forms.FloatField(
        label=gettext_lazy("CPU time limit, seconds"),
        min_value=SECONDS_RANGE[0],
        max_value=SECONDS_RANGE[1],
    )
    wall_seconds = forms.FloatField(
        label=gettext_lazy("Wall time limit, seconds"),
        min_value=SECONDS_RANGE[0],
        max_value=SECONDS_RANGE[1],
    )
    memory_mb = forms.IntegerField(
        label=gettext_lazy("Memory limit, MB"),
        min_value=MEMORY_MB_RANGE[0],
        max_value=MEMORY_MB_RANGE[1],
    )
    output_kb = forms.IntegerField(
        label=gettext_lazy("Output limit, KB"),
        min_value=OUTPUT_KB_RANGE[0],
        max_value=OUTPUT_KB_RANGE[1],
    )
    publish = forms.BooleanField(
        label=gettext_lazy("Publish when the check passes"), required=False
    )

    def __init__(self, *args: Any, exercise: CodingExercise, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.exercise = exercise
        if exercise.pk is not None:  # imports and learners' pages know it by its slug
            self.fields["slug"].disabled = True
            self.fields["slug"].help_text = _("Fixed once the exercise exists.")

    def clean_slug(self) -> str:
        slug: str = self.cleaned_data["slug"]
        if self.exercise.pk is not None:
            return self.exercise.slug
        if CodingExercise.objects.filter(section=self.exercise.section, slug=slug).exists():
            raise forms.ValidationError(
                _("Another exercise of this section has the slug «%(slug)s».") % {"slug": slug}
            )
        return slug


def exercise_initial(exercise: CodingExercise) -> dict[str, Any]:
    return {
        "title": exercise.title,
        "slug": exercise.slug,
        "statement": exercise.statement,
        "language": exercise.language,
        "scoring": exercise.scoring,
        "points": exercise.points,
        "cpu_seconds": exercise.cpu_seconds,
        "wall_seconds": exercise.wall_seconds,
        "memory_mb": exercise.memory_mb,
        "output_kb": exercise.output_kb,
        "publish": exercise.is_published or exercise.publish_when_checked or exercise.pk is None,
    }


@dataclass
class FileRow:
    """One file of the editor: its group, name and content, and what is wrong with it."""

    index: int
    role: str
    name: str = ""
    content: str = ""
    errors: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.name.strip() and not self.content.strip()

    @property
    def prefix(self) -> str:
        """Of its inputs' names (files-3-name, files-3-content ...; ids start with id_)."""
        return f"{PREFIX}-{self.index}"


@dataclass
class FileGroup:
    role: str
    title: Promise
    hint: Promise
    rows: list[FileRow]
    errors: list[str] = field(default_factory=list)


class ExerciseFiles:
    """The file rows of the editor, from the exercise or from a post; `files()` after a
    successful `is_valid()` gives {model field: {name: content}}."""

    def __init__(
        self,
        *,
        exercise: CodingExercise | None = None,
        data: Mapping[str, Any] | None = None,
        add_role: str = "",
    ) -> None:
        self.rows: list[FileRow] = []
        self.group_errors: dict[str, list[str]] = {role: [] for role in ROLE_FIELDS}
        self.bound = data is not None
        if data is None:
            assert exercise is not None
            for role, field_name in ROLE_FIELDS.items():
                for name, content in sorted(getattr(exercise, field_name).items()):
                    self.rows.append(FileRow(len(self.rows), role, name, content))
        else:
            self._read(data)
        if add_role in ROLE_FIELDS and len(self.rows) < MAX_ROWS:
            self.rows.append(FileRow(len(self.rows), add_role))
        for role in ROLE_FIELDS:  # a group with no file gets an empty row to fill
            if role in ("starter", "reference", "test") and not self.of(role):
                self.rows.append(FileRow(len(self.rows), role))

    def _read(self, data: Mapping[str, Any]) -> None:
        try:
            total = min(int(data.get(f"{PREFIX}-TOTAL", "0")), MAX_ROWS)
        except ValueError:
            total = 0
        for index in range(total):
            role = str(data.get(f"{PREFIX}-{index}-role", ""))
            if role not in ROLE_FIELDS:
                continue
            if data.get(f"{PREFIX}-{index}-remove"):
                continue
            name = str(data.get(f"{PREFIX}-{index}-name", "")).strip()
            # (browsers post a textarea's line breaks as CRLF)
            content = str(data.get(f"{PREFIX}-{index}-content", "")).replace("\r\n", "\n")
            self.rows.append(FileRow(len(self.rows), role, name, content))

    def of(self, role: str) -> list[FileRow]:
        return [row for row in self.rows if row.role == role]

    @property
    def groups(self) -> list[FileGroup]:
        return [
            FileGroup(role, title, hint, self.of(role), self.group_errors[role])
            for role, _field_name, title, hint in ROLES
        ]

    @property
    def total(self) -> int:
        return len(self.rows)

    def is_valid(self, *, language: str) -> bool:
        if not self.bound:
            return False
        seen: dict[str, str] = {}  # name -> the role that has it (starter and reference share)
        for row in self.rows:
            if row.empty:
                continue
            title = ROLE_TITLES[row.role]
            number = self.of(row.role).index(row) + 1  # as the page numbers it, in its group
            where = _("%(group)s, file %(number)s") % {"group": title, "number": number}
            if not row.name:
                row.errors.append(_("%(where)s: the file needs a name.") % {"where": where})
                continue
            problem = name_problem(row.name, role=row.role, language=language)
            if problem:
                row.errors.append(f"{where}, «{row.name}»: {problem}")
                continue
            same_role = [other for other in self.of(row.role) if other.name == row.name]
            if same_role[0] is not row:
                row.errors.append(
                    _("%(where)s, «%(name)s»: this group has another file of that name.")
                    % {"where": where, "name": row.name}
                )
                continue
            owner = seen.get(row.name)
            clash = owner is not None and {owner, row.role} != {"starter", "reference"}
            if clash and owner is not None:
                row.errors.append(
                    _("%(where)s, «%(name)s»: %(other)s has a file of that name; a run puts them "
                      "in one folder.")
                    % {"where": where, "name": row.name, "other": ROLE_TITLES[owner]}
                )  # fmt: skip
                continue
            seen.setdefault(row.name, row.role)
        self._check_groups()
        return not any(row.errors for row in self.rows) and not any(self.group_errors.values())

    def _check_groups(self) -> None:
        named = {
            role: {row.name: row.content for row in self.of(role) if not row.empty}
            for role in ROLE_FIELDS
        }
        for role in ("starter", "reference", "test"):
            if not named[role]:
                self.group_errors[role].append(
                    _("%(group)s: at least one file is needed.") % {"group": ROLE_TITLES[role]}
                )
        for role, files in named.items():
            if len(files) > MAX_FILES:
                self.group_errors[role].append(
                    _("%(group)s: at most %(count)s files.")
                    % {"group": ROLE_TITLES[role], "count": MAX_FILES}
                )
            size = sum(len(text.encode()) for text in files.values())
            if size > MAX_BYTES:
                self.group_errors[role].append(
                    _("%(group)s: at most %(kb)s KB in all (now %(now)s KB).")
                    % {"group": ROLE_TITLES[role], "kb": MAX_BYTES // 1024,
                       "now": -(-size // 1024)}
                )  # fmt: skip
        starter, reference = set(named["starter"]), set(named["reference"])
        if starter and reference and starter != reference:
            self.group_errors["reference"].append(
                _("%(group)s: must have the starter's files (%(starter)s), has %(reference)s.")
                % {"group": ROLE_TITLES["reference"], "starter": ", ".join(sorted(starter)),
                   "reference": ", ".join(sorted(reference))}
            )  # fmt: skip

    def files(self) -> dict[str, dict[str, str]]:
        return {
            field_name: {row.name: row.content for row in self.of(role) if not row.empty}
            for role, field_name in ROLE_FIELDS.items()
        }


def name_problem(name: str, *, role: str, language: str) -> str:
    """What is wrong with a file name, in the instructor's language ("" if nothing)."""
    if name.startswith("/") or "\\" in name or ".." in name.split("/"):
        return _("a file name must stay inside the exercise's folder (no «/» at the start, "
                 "no «..», no «\\»).")  # fmt: skip
    try:
        check_name(name)
    except ValueError:
        return _("use letters, digits and «_ . + -» in each part of the name (at most 4 folders "
                 "deep, 200 characters), not starting with «.» or «_zachet».")  # fmt: skip
    allowed = EXTENSIONS.get(language, {}).get(role, ())
    if allowed and not name.endswith(allowed):
        return _("in a %(language)s exercise, this group's files end with %(endings)s.") % {
            "language": dict(CodingExercise.Language.choices).get(language, language),
            "endings": ", ".join(f"«{ending}»" for ending in allowed),
        }
    if language == "go" and role in ("starter", "reference") and name.endswith("_test.go"):
        return _("a Go solution file may not end with «_test.go» (that is a test).")
    return ""


def editor_forms(
    *, exercise: CodingExercise, data: QueryDict | None = None
) -> tuple[ExerciseForm, ExerciseFiles]:
    if data is None:
        return (
            ExerciseForm(initial=exercise_initial(exercise), exercise=exercise),
            ExerciseFiles(exercise=exercise),
        )
    action = data.get("action", "")
    add_role = action.removeprefix("add-") if action.startswith("add-") else ""
    form = ExerciseForm(data, initial=exercise_initial(exercise), exercise=exercise)
    return form, ExerciseFiles(data=data, add_role=add_role)


def new_exercise(*, section: Section, language: str) -> CodingExercise:
    """An unsaved exercise of the language, with its defaults (limits, a go.mod for Go)."""
    exercise = CodingExercise(section=section, language=language, **DEFAULT_LIMITS[language])
    if language == "go":
        exercise.support_files = {"go.mod": "module exercise\n\ngo 1.22\n"}
    return exercise


def editor_exercise(*, course: Course, exercise_id: int) -> CodingExercise:
    """The course's exercise, else a 404 (another course's exercise does not exist here)."""
    return get_object_or_404(
        CodingExercise.objects.select_related("section"),
        pk=exercise_id,
        section__part__course=course,
    )


def editor_section(*, course: Course, section_id: int | None) -> Section:
    return get_object_or_404(Section, pk=section_id, part__course=course)


def edit_values(form: ExerciseForm, files: ExerciseFiles) -> dict[str, Any]:
    values = {
        name: form.cleaned_data[name]
        for name in ("title", "slug", "statement", "language", "scoring", "points",
                     "cpu_seconds", "wall_seconds", "memory_mb", "output_kb")
    }  # fmt: skip
    values["title"] = values["title"].strip()
    values["statement"] = values["statement"].replace("\r\n", "\n")
    return {**values, **files.files()}


# --- the check's result, as the page shows it --------------------------------------


@dataclass(frozen=True)
class CheckView:
    state: str  # "new", "queued", "passed", "failed", "unchecked"
    problems: tuple[str, ...]
    report: str
    published: bool

    @property
    def final(self) -> bool:
        return self.state != "queued"


CHECK_PROBLEMS = {
    CHECK_REFERENCE_FAILS: gettext_lazy("the reference solution does not pass every test"),
    CHECK_STARTER_PASSES: gettext_lazy("the starter code already passes every test"),
    CHECK_RUNNER_FAILED: gettext_lazy("the runner failed (internal error)"),
    CHECK_NOT_RUN: gettext_lazy("the check could not run"),
}


def check_view(exercise: CodingExercise) -> CheckView:
    if exercise.pk is None:
        return CheckView("new", (), "", published=False)
    report = exercise.check_report
    status = exercise.check_status
    if status == CodingExercise.CheckStatus.UNCHECKED:
        state = "queued" if exercise.check_queued_at else "unchecked"
        return CheckView(state, (), "", published=exercise.is_published)
    if status == CodingExercise.CheckStatus.OK:
        return CheckView("passed", (), report, published=exercise.is_published)
    first = report.splitlines()[0] if report else ""
    problems = tuple(str(text) for key, text in CHECK_PROBLEMS.items() if key in first)
    return CheckView("failed", problems, report, published=exercise.is_published)


def seen_stamp(exercise: CodingExercise) -> str:
    return exercise_edit_stamp(exercise) if exercise.pk is not None else ""
