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

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django import forms
from django.http import QueryDict
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from courses.models import Course, Section
from grader.editor_forms import ExerciseFiles
from grader.exercise_source import DEFAULT_LIMITS
from grader.models import CodingExercise
from grader.services import (
    CHECK_NOT_RUN,
    CHECK_REFERENCE_FAILS,
    CHECK_RUNNER_FAILED,
    CHECK_STARTER_PASSES,
    exercise_edit_stamp,
)

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
