"""Instructor pages of a course, outside the admin: gradebook, the manual grading queue, item
analysis, regrades and similar solutions. A course's instructors only; for everyone else they
do not exist (404). Every page works without JavaScript (forms and links; a running job's
page refreshes itself with a meta refresh)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from uuid import UUID

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from courses.models import Course, Part, Section
from deadlines.selectors import course_groups
from grader.models import CodingExercise
from grader.services import ExerciseEditConflict, exercise_edit, exercise_edit_stamp
from quizzes.authoring import QuestionEditConflict, question_edit_stamp, question_move
from quizzes.editor_forms import SpecFields
from quizzes.models import Question, Quiz
from quizzes.presentation import question_text_html
from quizzes.services import QuizRuleError
from teaching.analysis import exercise_analysis, quiz_analysis
from teaching.deadlines import results_release
from teaching.exercise_editor import (
    LANGUAGES,
    ExerciseFiles,
    ExerciseForm,
    check_view,
    edit_values,
    editor_exercise,
    editor_section,
    new_exercise,
    seen_stamp,
)
from teaching.exercise_editor import editor_forms as exercise_editor_forms
from teaching.extensions import ExtensionForm, extension_from_form, extensions_page
from teaching.gradebook import SORTS, gradebook_page, learner_section_work
from teaching.grading_queue import (
    GradingQueue,
    grading_queue,
    queue_answer,
    queue_grade,
)
from teaching.groups import GroupForm, group_from_form
from teaching.models import RegradeJob, StagedUpload
from teaching.question_editor import (
    PREVIEW_SEED,
    TYPE_LABELS,
    QuestionCommonForm,
    TryResult,
    editor_forms,
    question_from_editor,
    question_preview,
    question_try,
    quiz_preview,
)
from teaching.quiz_editor import QuizSettingsForm, quiz_from_settings
from teaching.regrade import RegradeError, regrade_apply, regrade_start
from teaching.results_release import exam_item, exam_items
from teaching.schedule_editor import ScheduleForm, schedule_from_form
from teaching.selectors import (
    course_exercise,
    course_items,
    course_part,
    course_part_by_id,
    course_parts,
    course_quiz,
    course_section,
    course_sections,
    import_choices,
    question_answered,
    quiz_question,
    quiz_questions,
    regrade_job,
    regrade_list,
    regrade_page,
    regrade_target,
    similarity_list,
    similarity_pair,
    taught_course,
)
from teaching.site_import import (
    MAX_BYTES,
    ImportPreview,
    SiteImportError,
    part_readme_file,
    quiz_gift_file,
    quiz_moodle_xml_file,
    staged_get,
    upload_apply,
    upload_preview,
    upload_stage,
)


def _course(request: HttpRequest, course_slug: str) -> Course:
    return taught_course(user=request.user, course_slug=course_slug)


def _int(value: str | None) -> int | None:
    ok = value is not None and value.isascii() and value.isdigit() and len(value) < 19
    return int(value) if ok and value is not None else None


@require_GET
@login_required
def teach_home_view(request: HttpRequest, course_slug: str) -> HttpResponse:
    course = _course(request, course_slug)
    items = course_items(course=course)
    context = {
        "course": course, "quizzes": items.quizzes, "exercises": items.exercises,
        "sections": course_sections(course), "exercise_languages": CodingExercise.Language.choices,
        "parts": course_parts(course),
    }  # fmt: skip
    return render(request, "teaching/home.html", context)


@require_GET
@login_required
def gradebook_view(request: HttpRequest, course_slug: str) -> HttpResponse:
    course = _course(request, course_slug)
    sort = request.GET.get("sort", "name")
    completed = {"yes": True, "no": False}.get(request.GET.get("completed", ""))
    cell_url = reverse(
        "teaching:learner_section",
        kwargs={"course_slug": course.slug, "learner_id": 1, "section_id": 2},
    ).replace("/1/sections/2/", "/{learner}/sections/{section}/")
    part = request.GET.get("part", "")
    book = gradebook_page(
        course=course,
        cell_url=cell_url,
        part=_int(part),
        all_parts=part == "all",
        search=request.GET.get("q", "")[:100],
        sort=sort if sort in SORTS else "name",
        section_id=_int(request.GET.get("section")),
        completed=completed,
        page=_int(request.GET.get("page")) or 1,
    )
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "course": course, "book": book, "sort": sort, "q": request.GET.get("q", ""),
        "section_filter": _int(request.GET.get("section")),
        "completed_filter": request.GET.get("completed", ""), "query": query.urlencode(),
        "part_filter": part,
    }  # fmt: skip
    return render(request, "teaching/gradebook.html", context)


@require_GET
@login_required
def learner_section_view(
    request: HttpRequest, course_slug: str, learner_id: int, section_id: int
) -> HttpResponse:
    course = _course(request, course_slug)
    work = learner_section_work(course=course, learner_id=learner_id, section_id=section_id)
    return render(request, "teaching/learner_section.html", {"course": course, "work": work})


@require_GET
@login_required
def analysis_quiz_view(request: HttpRequest, course_slug: str, quiz_id: int) -> HttpResponse:
    course = _course(request, course_slug)
    analysis = quiz_analysis(quiz=course_quiz(course=course, quiz_id=quiz_id))
    context = {"course": course, "analysis": analysis, "form": RegradeForm()}
    return render(request, "teaching/analysis_quiz.html", context)


@require_GET
@login_required
def analysis_exercise_view(
    request: HttpRequest, course_slug: str, exercise_id: int
) -> HttpResponse:
    course = _course(request, course_slug)
    analysis = exercise_analysis(exercise=course_exercise(course=course, exercise_id=exercise_id))
    context = {"course": course, "analysis": analysis, "form": RegradeForm()}
    return render(request, "teaching/analysis_exercise.html", context)


class RegradeForm(forms.Form):
    target = forms.CharField(widget=forms.HiddenInput)  # "quiz:3", "question:7", "exercise:2"
    scope = forms.ChoiceField(
        label=gettext_lazy("Whose work"), choices=RegradeJob.Scope.choices, initial="all"
    )
    reason = forms.CharField(
        label=gettext_lazy("Why (kept in every changed grade's history)"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


def _target(course: Course, value: str) -> dict[str, Any]:
    kind, _sep, number = value.partition(":")
    pk = _int(number)
    if pk is None:
        raise Http404
    return regrade_target(course=course, kind=kind, pk=pk)


@require_GET
@login_required
def regrade_list_view(request: HttpRequest, course_slug: str) -> HttpResponse:
    course = _course(request, course_slug)
    listed = regrade_list(course=course)
    context = {"course": course, "jobs": listed.jobs, "quizzes": listed.quizzes,
               "exercises": listed.exercises, "form": RegradeForm()}  # fmt: skip
    return render(request, "teaching/regrade_list.html", context)


@require_POST
@login_required
def regrade_start_view(request: HttpRequest, course_slug: str) -> HttpResponse:
    course = _course(request, course_slug)
    form = RegradeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why, and choose whose work to regrade."))
        return redirect("teaching:regrades", course_slug=course.slug)
    try:
        job = regrade_start(
            by=request.user,  # type: ignore[arg-type]
            reason=form.cleaned_data["reason"],
            latest_only=form.cleaned_data["scope"] == RegradeJob.Scope.LATEST,
            **_target(course, form.cleaned_data["target"]),
        )
    except RegradeError as error:
        messages.error(request, str(error))
        return redirect("teaching:regrades", course_slug=course.slug)
    return redirect("teaching:regrade", course_slug=course.slug, job_id=job.pk)


@never_cache
@require_http_methods(["GET", "POST"])
@login_required
def regrade_view(request: HttpRequest, course_slug: str, job_id: int) -> HttpResponse:
    course = _course(request, course_slug)
    if request.method == "POST":
        try:
            job = regrade_job(course=course, job_id=job_id)
            regrade_apply(job=job, by=request.user)  # type: ignore[arg-type]
            messages.success(request, _("Applying: the grades change as you watch."))
        except RegradeError as error:
            messages.error(request, str(error))
        return redirect("teaching:regrade", course_slug=course.slug, job_id=job_id)
    page = regrade_page(course=course, job_id=job_id)
    context = {"course": course, "job": page.job, "summary": page.summary,
               "changes": page.changes, "running": page.running}  # fmt: skip
    return render(request, "teaching/regrade.html", context)


@require_GET
@login_required
def similarity_view(request: HttpRequest, course_slug: str, exercise_id: int) -> HttpResponse:
    course = _course(request, course_slug)
    listed = similarity_list(course=course, exercise_id=exercise_id)
    context = {"course": course, "exercise": listed.exercise, "pairs": listed.pairs}
    return render(request, "teaching/similarity.html", context)


@require_GET
@login_required
def similarity_pair_view(
    request: HttpRequest, course_slug: str, exercise_id: int, a_id: int, b_id: int
) -> HttpResponse:
    course = _course(request, course_slug)
    pair = similarity_pair(course=course, exercise_id=exercise_id, a_id=a_id, b_id=b_id)
    context = {"course": course, "exercise": pair.exercise, "a": pair.a, "b": pair.b,
               "percent": pair.percent, "files": pair.files}  # fmt: skip
    return render(request, "teaching/similarity_pair.html", context)


class ManualGradeForm(forms.Form):
    score = forms.DecimalField(
        label=gettext_lazy("Score"), min_value=Decimal(0), max_digits=7, decimal_places=2
    )
    feedback = forms.CharField(
        label=gettext_lazy("Feedback for the learner"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, data: Any = None, *, answer_id: int, points: Decimal) -> None:
        super().__init__(data, auto_id=f"id_%s_{answer_id}")
        self.points = points
        self.fields["score"].validators.append(MaxValueValidator(points))
        self.fields["score"].widget.attrs.update({"step": "0.01", "max": str(points)})


def _grading_page(
    request: HttpRequest,
    course: Course,
    *,
    failed: tuple[int, ManualGradeForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    queue: GradingQueue = grading_queue(course=course)
    items = [
        (
            answer,
            failed[1]
            if failed and failed[0] == answer.answer_id
            else ManualGradeForm(answer_id=answer.answer_id, points=answer.points),
        )
        for answer in queue.answers
    ]
    context = {"course": course, "queue": queue, "items": items}
    return render(request, "teaching/grading_queue.html", context, status=status)


@never_cache
@require_GET
@login_required
def grading_queue_view(request: HttpRequest, course_slug: str) -> HttpResponse:
    return _grading_page(request, _course(request, course_slug))


@require_POST
@login_required
def grading_grade_view(request: HttpRequest, course_slug: str, answer_id: int) -> HttpResponse:
    """Grade one answer from the queue. A refused grade shows the queue again with what was
    typed kept and the field named; an answer graded meanwhile by someone else keeps its grade."""
    course = _course(request, course_slug)
    answer = queue_answer(course=course, answer_id=answer_id)
    if answer is None:
        raise Http404
    form = ManualGradeForm(request.POST, answer_id=answer.pk, points=answer.question.points)
    if not form.is_valid():
        return _grading_page(request, course, failed=(answer.pk, form), status=400)
    try:
        queue_grade(
            answer=answer,
            score=form.cleaned_data["score"],
            feedback=form.cleaned_data["feedback"],
            grader=request.user,  # type: ignore[arg-type]
        )
    except QuizRuleError as error:
        if error.code != "already_graded":
            raise
        messages.warning(request, _("Someone else graded this answer first; their grade stands."))
        return redirect("teaching:grading", course_slug=course.slug)
    learner = answer.attempt.learner  # (loaded with the answer: no query here)
    messages.success(
        request,
        _("Graded: %(learner)s, %(score)s of %(points)s.")
        % {
            "learner": learner.get_full_name() or learner.username,
            "score": form.cleaned_data["score"],
            "points": answer.question.points,
        },
    )
    return redirect("teaching:grading", course_slug=course.slug)


class UploadForm(forms.Form):
    """An upload of one kind (StagedUpload.Kind): the file, and for GIFT and exercises the
    section it goes into (and the quiz's title for GIFT)."""

    section = forms.IntegerField(label=gettext_lazy("Section"))
    quiz_title = forms.CharField(label=gettext_lazy("Quiz"), required=False, max_length=200)
    file = forms.FileField(label=gettext_lazy("File"))

    def __init__(self, *args: Any, kind: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kind = StagedUpload.Kind(kind)
        if kind != StagedUpload.Kind.GIFT:
            del self.fields["quiz_title"]
        if kind == StagedUpload.Kind.COURSE:
            del self.fields["section"]

    def clean_file(self) -> Any:
        file = self.cleaned_data["file"]
        limit = MAX_BYTES[self.kind]
        if file.size > limit:
            raise forms.ValidationError(
                _("The file is larger than %(mb)d MB.") % {"mb": limit // 1024 // 1024}
            )
        name = (file.name or "").lower()
        wanted = {
            StagedUpload.Kind.GIFT: (".gift", ".txt", ".xml"),
            StagedUpload.Kind.EXERCISE: (".zip",),
            StagedUpload.Kind.COURSE: (".zip", ".md"),
        }[self.kind]
        if not name.endswith(wanted):
            raise forms.ValidationError(
                _("Upload a file ending in %(endings)s.") % {"endings": ", ".join(wanted)}
            )
        return file


def _import_page(
    request: HttpRequest,
    course: Course,
    *,
    failed: UploadForm | None = None,
    status: int = 200,
) -> HttpResponse:
    forms_by_kind = {kind: UploadForm(kind=kind) for kind in StagedUpload.Kind.values}
    if failed is not None:
        forms_by_kind[failed.kind] = failed
    choices = import_choices(course=course)
    context = {
        "course": course,
        "forms": forms_by_kind,
        "sections": choices.sections,
        "quizzes": choices.quizzes,
        "parts": choices.parts,
    }
    return render(request, "teaching/import.html", context, status=status)


@require_GET
@login_required
def import_view(request: HttpRequest, course_slug: str) -> HttpResponse:
    return _import_page(request, _course(request, course_slug))


@require_POST
@login_required
def import_upload_view(request: HttpRequest, course_slug: str, kind: str) -> HttpResponse:
    """Stage the uploaded file and show what importing it would do."""
    course = _course(request, course_slug)
    if kind not in StagedUpload.Kind.values:
        raise Http404
    form = UploadForm(request.POST, request.FILES, kind=kind)
    section = None
    if form.is_valid() and "section" in form.fields:
        section = course_section(course=course, section_id=form.cleaned_data["section"])
        if section is None:
            form.add_error("section", _("Choose a section of this course."))
    if not form.is_valid():
        return _import_page(request, course, failed=form, status=400)
    upload = form.cleaned_data["file"]
    staged = upload_stage(
        kind=StagedUpload.Kind(kind),
        course=course,
        user=request.user,  # type: ignore[arg-type]
        name=upload.name or "upload",
        data=upload.read(),
        section=section,
        quiz_title=form.cleaned_data.get("quiz_title", "").strip(),
    )
    return _preview_page(request, course, upload_preview(staged=staged))


def _preview_page(
    request: HttpRequest, course: Course, preview: ImportPreview, *, status: int = 200
) -> HttpResponse:
    context = {"course": course, "preview": preview}
    return render(request, "teaching/import_preview.html", context, status=status)


@require_POST
@login_required
def import_confirm_view(request: HttpRequest, course_slug: str, token: UUID) -> HttpResponse:
    """Import a previewed file for real."""
    course = _course(request, course_slug)
    staged = staged_get(token=token, course=course, user=request.user)  # type: ignore[arg-type]
    if staged is None:
        messages.error(request, _("That upload has expired or is not yours: upload it again."))
        return redirect("teaching:import", course_slug=course.slug)
    try:
        done = upload_apply(staged=staged)
    except SiteImportError:
        return _preview_page(request, course, upload_preview(staged=staged), status=400)
    counts = {"target": done.target, "created": done.created, "updated": done.updated,
              "removed": done.removed, "skipped": done.skipped}  # fmt: skip
    if done.kind == StagedUpload.Kind.GIFT:
        text = _("Imported into the quiz «%(target)s»: %(created)d created, %(updated)d "
                 "updated, %(removed)d removed, %(skipped)d skipped (named in the "
                 "preview).")  # fmt: skip
    elif done.kind == StagedUpload.Kind.EXERCISE:
        text = _(
            "Imported the exercise «%(target)s». A worker checks it now (the reference must "
            "pass, the starter fail); it opens to learners when the check passes."
        )
    else:
        text = _("Imported into the course «%(target)s»: %(created)d created, %(updated)d "
                 "updated, %(removed)d archived.")  # fmt: skip
    messages.success(request, text % counts)
    return redirect("teaching:import", course_slug=course.slug)


def _download(name: str, text: str, content_type: str) -> HttpResponse:
    response = HttpResponse(text, content_type=f"{content_type}; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=name)
    return response


@require_GET
@login_required
def export_quiz_view(request: HttpRequest, course_slug: str, quiz_id: int) -> HttpResponse:
    course = _course(request, course_slug)
    name, text = quiz_gift_file(quiz=course_quiz(course=course, quiz_id=quiz_id))
    return _download(name, text, "text/plain")


@require_GET
@login_required
def export_quiz_xml_view(request: HttpRequest, course_slug: str, quiz_id: int) -> HttpResponse:
    course = _course(request, course_slug)
    quiz = course_quiz(course=course, quiz_id=quiz_id)
    name, text = quiz_moodle_xml_file(quiz=quiz)
    return _download(name, text, "application/xml")


@require_GET
@login_required
def export_part_view(request: HttpRequest, course_slug: str, part_number: int) -> HttpResponse:
    course = _course(request, course_slug)
    name, text = part_readme_file(part=course_part(course=course, number=part_number))
    return _download(name, text, "text/markdown")


# --- a quiz's settings and its questions' order (teaching.quiz_editor) -----------------


@require_http_methods(["GET", "POST"])
@login_required
def quiz_new_view(request: HttpRequest, course_slug: str) -> HttpResponse:
    course = _course(request, course_slug)
    initial = {"section": _int(request.GET.get("section"))}
    return _quiz_settings(request, course, Quiz(), initial=initial)


@require_http_methods(["GET", "POST"])
@login_required
def quiz_settings_view(request: HttpRequest, course_slug: str, quiz_id: int) -> HttpResponse:
    course = _course(request, course_slug)
    return _quiz_settings(request, course, course_quiz(course=course, quiz_id=quiz_id))


def _quiz_settings(
    request: HttpRequest, course: Course, quiz: Quiz, *, initial: dict[str, Any] | None = None
) -> HttpResponse:
    """GET shows the settings; POST saves them (a refusal names each field, keeps the rest)."""
    created = quiz.pk is None
    if request.method == "POST":
        form = QuizSettingsForm(request.POST, instance=quiz, course=course)
        if form.is_valid():
            quiz = quiz_from_settings(form=form)
            messages.success(
                request,
                _("The quiz is created: add its questions.") if created
                else _("The quiz's settings are saved."),
            )  # fmt: skip
            return redirect("teaching:quiz_questions", course_slug=course.slug, quiz_id=quiz.pk)
        status = 400
    else:
        form = QuizSettingsForm(instance=quiz, course=course, initial=initial)
        status = 200
    context = {"course": course, "quiz": quiz, "form": form, "created": created}
    return render(request, "teaching/quiz_settings.html", context, status=status)


@require_GET
@login_required
def quiz_preview_view(request: HttpRequest, course_slug: str, quiz_id: int) -> HttpResponse:
    """The whole quiz as a learner sees it; nothing can be submitted, nothing is recorded."""
    course = _course(request, course_slug)
    quiz = course_quiz(course=course, quiz_id=quiz_id)
    seed = _int(request.GET.get("seed")) or PREVIEW_SEED
    context = {
        "course": course, "quiz": quiz, "seed": seed, "lang": course.language,
        "questions": quiz_preview(quiz=quiz, seed=seed),
        "instructions_html": question_text_html(quiz.instructions, "markdown"),
    }  # fmt: skip
    return render(request, "teaching/quiz_preview.html", context)


@require_POST
@login_required
def question_move_view(
    request: HttpRequest, course_slug: str, quiz_id: int, question_id: int
) -> HttpResponse:
    """Move a question up or down in its quiz (a button per question: no JavaScript)."""
    course, question = _editor_question(request, course_slug, quiz_id, question_id)
    by = {"up": -1, "down": 1}.get(request.POST.get("direction", ""))
    if by is None:
        raise Http404
    question_move(question=question, by=by)
    url = reverse(
        "teaching:quiz_questions", kwargs={"course_slug": course.slug, "quiz_id": quiz_id}
    )
    return redirect(f"{url}#question-{question.pk}")


# --- the question editor (teaching.question_editor) -------------------------------------


@require_GET
@login_required
def quiz_questions_view(request: HttpRequest, course_slug: str, quiz_id: int) -> HttpResponse:
    course = _course(request, course_slug)
    listed = quiz_questions(course=course, quiz_id=quiz_id)
    context = {
        "course": course,
        "quiz": listed.quiz,
        "questions": listed.questions,
        "types": list(TYPE_LABELS.items()),
        "type_labels": TYPE_LABELS,
    }
    return render(request, "teaching/quiz_questions.html", context)


@require_http_methods(["GET", "POST"])
@login_required
def question_new_view(request: HttpRequest, course_slug: str, quiz_id: int) -> HttpResponse:
    course = _course(request, course_slug)
    quiz = course_quiz(course=course, quiz_id=quiz_id)
    question_type = request.GET.get("type", "")
    if question_type not in TYPE_LABELS:
        raise Http404
    question = Question(quiz=quiz, type=question_type, text_format=Question.TextFormat.MARKDOWN)
    return _question_editor(request, course, question)


def _editor_question(
    request: HttpRequest, course_slug: str, quiz_id: int, question_id: int
) -> tuple[Course, Question]:
    course = _course(request, course_slug)
    return course, quiz_question(course=course, quiz_id=quiz_id, question_id=question_id)


@require_http_methods(["GET", "POST"])
@login_required
def question_edit_view(
    request: HttpRequest, course_slug: str, quiz_id: int, question_id: int
) -> HttpResponse:
    course, question = _editor_question(request, course_slug, quiz_id, question_id)
    return _question_editor(request, course, question)


@require_POST
@login_required
def question_try_view(
    request: HttpRequest, course_slug: str, quiz_id: int, question_id: int
) -> HttpResponse:
    """Grade an answer to the preview; nothing is recorded."""
    course, question = _editor_question(request, course_slug, quiz_id, question_id)
    seed = _int(request.POST.get("seed")) or PREVIEW_SEED
    tried = question_try(question=question, seed=seed, data=request.POST)
    common, spec_fields = editor_forms(question=question)
    return _question_editor_page(request, course, question, common, spec_fields, tried=tried)


def _question_editor(request: HttpRequest, course: Course, question: Question) -> HttpResponse:
    """GET shows the editor; POST saves, or adds empty rows to a list (action=add-<list>), or
    moves a row (action=move-<list>-<row>-up/down)."""
    if request.method != "POST":
        common, spec_fields = editor_forms(question=question)
        return _question_editor_page(request, course, question, common, spec_fields)
    common, spec_fields = editor_forms(question=question, data=request.POST)
    if spec_fields.rearranged:  # not a save: nothing is refused yet
        common = QuestionCommonForm(initial=request.POST.dict())
        return _question_editor_page(request, course, question, common, spec_fields)
    valid = common.is_valid()
    if not (spec_fields.is_valid() and valid):
        return _question_editor_page(request, course, question, common, spec_fields, status=400)
    created = question.pk is None
    try:
        question = question_from_editor(
            question=question,
            common=common,
            spec_fields=spec_fields,
            seen_stamp=request.POST.get("seen") or None,
        )
    except QuestionEditConflict:
        saved = quiz_question(course=course, quiz_id=question.quiz_id, question_id=question.pk)
        conflict = _("Someone saved this question after you opened it, so yours is not saved. "
                     "Your version is below; the saved one opens on a new page of this editor. "
                     "Saving again replaces the saved one with yours.")  # fmt: skip
        return _question_editor_page(
            request, course, saved, common, spec_fields, status=409, conflict=conflict
        )
    messages.success(
        request, _("The question is saved.") if not created else _("The question is added.")
    )
    return redirect(
        "teaching:question_edit",
        course_slug=course.slug,
        quiz_id=question.quiz_id,
        question_id=question.pk,
    )


def _question_editor_page(
    request: HttpRequest,
    course: Course,
    question: Question,
    common: QuestionCommonForm,
    spec_fields: SpecFields,
    *,
    tried: TryResult | None = None,
    status: int = 200,
    conflict: str = "",
) -> HttpResponse:
    seed = _int(request.GET.get("seed") or request.POST.get("seed")) or PREVIEW_SEED
    # What the editor's save compares (quizzes.authoring.question_edit_stamp): the question as
    # this page first showed it, kept across re-shown forms; after a conflict, the saved one's.
    seen = request.POST.get("seen") if request.method == "POST" and not conflict else None
    context = {
        "course": course,
        "quiz": question.quiz,
        "question": question,
        "seen": seen or (question_edit_stamp(question) if question.pk else ""),
        "conflict": conflict,
        "type_label": TYPE_LABELS[question.type],
        "common": common,
        "spec_fields": spec_fields,
        "seed": seed,
        "tried": tried,
        # A changed key applies to gradings from now on; past ones change only by a regrade.
        "answered": question_answered(question=question),
        # The preview is of the question as saved: a new one has nothing to show yet.
        "q": question_preview(question=question, seed=seed, tried=tried) if question.pk else None,
        "lang": course.language,
    }
    return render(request, "teaching/question_edit.html", context, status=status)


# --- the exercise editor (teaching.exercise_editor) -------------------------------------


@require_http_methods(["GET", "POST"])
@login_required
def exercise_new_view(request: HttpRequest, course_slug: str) -> HttpResponse:
    """?section=<id>&language=go|python: a new exercise of that section."""
    course = _course(request, course_slug)
    section = editor_section(course=course, section_id=_int(request.GET.get("section")))
    language = request.GET.get("language", "")
    if language not in LANGUAGES:
        raise Http404
    return _exercise_editor(request, course, new_exercise(section=section, language=language))


@require_http_methods(["GET", "POST"])
@login_required
def exercise_edit_view(request: HttpRequest, course_slug: str, exercise_id: int) -> HttpResponse:
    course = _course(request, course_slug)
    exercise = editor_exercise(course=course, exercise_id=exercise_id)
    return _exercise_editor(request, course, exercise)


@require_GET
@login_required
def exercise_check_view(request: HttpRequest, course_slug: str, exercise_id: int) -> HttpResponse:
    """The check's result alone: what static/courses/live.js polls while it is queued."""
    course = _course(request, course_slug)
    exercise = editor_exercise(course=course, exercise_id=exercise_id)
    context = {"course": course, "exercise": exercise, "check": check_view(exercise)}
    return render(request, "teaching/_exercise_check.html", context)


def _exercise_editor(
    request: HttpRequest, course: Course, exercise: CodingExercise
) -> HttpResponse:
    """GET shows the editor; POST saves, or adds an empty file (action=add-<group>)."""
    if request.method != "POST":
        form, files = exercise_editor_forms(exercise=exercise)
        return _exercise_editor_page(request, course, exercise, form, files, seen_stamp(exercise))
    form, files = exercise_editor_forms(exercise=exercise, data=request.POST)
    seen = request.POST.get("seen", "")
    if request.POST.get("action", "").startswith("add-"):  # not a save: nothing is refused
        form = ExerciseForm(initial=request.POST.dict(), exercise=exercise)
        if exercise.pk is not None:
            form.initial["slug"] = exercise.slug
        return _exercise_editor_page(request, course, exercise, form, files, seen)
    valid = form.is_valid()
    language = (
        form.cleaned_data.get("language", exercise.language)
        if valid
        else (request.POST.get("language") or exercise.language)
    )
    if not (files.is_valid(language=language) and valid):
        return _exercise_editor_page(request, course, exercise, form, files, seen, status=400)
    created = exercise.pk is None
    try:
        exercise = exercise_edit(
            exercise=exercise,
            values=edit_values(form, files),
            seen_stamp=seen,
            publish=form.cleaned_data["publish"],
        )
    except ValidationError as error:  # e.g. the slug taken by someone saving meanwhile
        for message in error.messages:
            form.add_error(None, message)
        return _exercise_editor_page(request, course, exercise, form, files, seen, status=400)
    except ExerciseEditConflict:
        saved = course_exercise(course=course, exercise_id=exercise.pk)
        conflict = _("Someone saved this exercise after you opened it, so yours is not saved. "
                     "Your version is below; the saved one is on a new page of this editor. "
                     "Saving again replaces the saved one with yours.")  # fmt: skip
        return _exercise_editor_page(
            request, course, saved, form, files, exercise_edit_stamp(saved),
            status=409, conflict=conflict,
        )  # fmt: skip
    messages.success(
        request,
        _("The exercise is added; a worker checks it now.")
        if created
        else _("The exercise is saved; a worker checks it now."),
    )
    return redirect("teaching:exercise_edit", course_slug=course.slug, exercise_id=exercise.pk)


def _exercise_editor_page(
    request: HttpRequest,
    course: Course,
    exercise: CodingExercise,
    form: ExerciseForm,
    files: ExerciseFiles,
    seen: str,
    *,
    status: int = 200,
    conflict: str = "",
) -> HttpResponse:
    language = form["language"].value() or exercise.language
    context = {
        "course": course,
        "exercise": exercise,
        "section": exercise.section,
        "form": form,
        "files": files,
        "seen": seen,
        "language": language if language in LANGUAGES else exercise.language,
        "check": check_view(exercise),
        "conflict": conflict,
        "submitted": exercise.pk is not None and exercise.submissions.exists(),
        "lang": course.language,
    }
    return render(request, "teaching/exercise_edit.html", context, status=status)


@require_http_methods(["GET", "POST"])
@login_required
def extensions_view(request: HttpRequest, course_slug: str) -> HttpResponse:
    """Grant a learner an extension (a form per course) and list every grant."""
    course = _course(request, course_slug)
    form = ExtensionForm(request.POST or None, course=course)
    if request.method == "POST" and form.is_valid():
        try:
            extension_from_form(course=course, form=form, granted_by=request.user)  # type: ignore[arg-type]
        except ValidationError:
            pass  # the form names the field
        else:
            messages.success(request, _("The extension is granted."))
            return redirect("teaching:extensions", course_slug=course.slug)
    context = {"course": course, "form": form, "page": extensions_page(course=course)}
    status = 400 if request.method == "POST" else 200
    return render(request, "teaching/extensions.html", context, status=status)


@require_http_methods(["GET", "POST"])
@login_required
def groups_view(request: HttpRequest, course_slug: str) -> HttpResponse:
    """The course's groups of learners: create one, or (?group=id) rename it and set its
    members."""
    course = _course(request, course_slug)
    groups = list(course_groups(course_id=course.pk))
    wanted = _int(request.GET.get("group"))
    group = next((g for g in groups if g.pk == wanted), None)
    if wanted is not None and group is None:
        raise Http404
    form = GroupForm(request.POST or None, course=course, group=group)
    if request.method == "POST" and form.is_valid():
        try:
            group_from_form(course=course, form=form, group=group)
        except ValidationError:
            pass  # the form names the field
        else:
            messages.success(request, _("The group is saved."))
            return redirect("teaching:groups", course_slug=course.slug)
    context = {"course": course, "form": form, "group": group, "groups": groups}
    status = 400 if request.method == "POST" else 200
    return render(request, "teaching/groups.html", context, status=status)


@require_http_methods(["GET", "POST"])
@login_required
def results_view(request: HttpRequest, course_slug: str) -> HttpResponse:
    """Exam mode: the items whose results are held, and a button to release each."""
    course = _course(request, course_slug)
    if request.method == "POST":
        item = exam_item(
            course=course,
            kind=request.POST.get("kind", ""),
            item_id=_int(request.POST.get("item")) or 0,
        )
        if item is None:
            raise Http404
        try:
            results_release(item=item, released_by=request.user)  # type: ignore[arg-type]
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("The results are released."))
        return redirect("teaching:results", course_slug=course.slug)
    context = {"course": course, "items": exam_items(course=course, now=timezone.now())}
    return render(request, "teaching/results.html", context)


@require_http_methods(["GET", "POST"])
@login_required
def exercise_dates_view(request: HttpRequest, course_slug: str, exercise_id: int) -> HttpResponse:
    """An exercise's dates, late policy and exam mode (its code and tests stay as they are)."""
    course = _course(request, course_slug)
    exercise = editor_exercise(course=course, exercise_id=exercise_id)
    back = reverse("teaching:exercise_edit", args=[course.slug, exercise.pk])
    return _schedule_page(request, course, exercise, exercise.title, back)


@require_http_methods(["GET", "POST"])
@login_required
def section_dates_view(request: HttpRequest, course_slug: str, section_id: int) -> HttpResponse:
    """A section's dates, late policy and exam mode: the defaults of what it holds."""
    course = _course(request, course_slug)
    section = editor_section(course=course, section_id=section_id)
    back = reverse("teaching:home", args=[course.slug])
    return _schedule_page(request, course, section, f"{section.number} {section.title}", back)


@require_http_methods(["GET", "POST"])
@login_required
def part_dates_view(request: HttpRequest, course_slug: str, part_id: int) -> HttpResponse:
    """A part's dates, late policy and exam mode: the defaults of its sections' items."""
    course = _course(request, course_slug)
    part = course_part_by_id(course=course, part_id=part_id)
    back = reverse("teaching:home", args=[course.slug])
    return _schedule_page(request, course, part, f"{part.number}. {part.title}", back)


@require_http_methods(["GET", "POST"])
@login_required
def course_dates_view(request: HttpRequest, course_slug: str) -> HttpResponse:
    """The course's dates, late policy and exam mode: the defaults of everything in it."""
    course = _course(request, course_slug)
    back = reverse("teaching:home", args=[course.slug])
    return _schedule_page(request, course, course, course.title, back)


def _schedule_page(
    request: HttpRequest, course: Course, item: Any, title: str, back: str
) -> HttpResponse:
    form = ScheduleForm(request.POST or None, item=item)
    if request.method == "POST" and form.is_valid():
        try:
            schedule_from_form(form=form)
        except ValidationError:
            pass  # the form names the field
        else:
            messages.success(request, _("The dates are saved."))
            return redirect(request.path)
    level = {Course: "course", Part: "part", Section: "section"}.get(type(item), "item")
    context = {"course": course, "form": form, "title": title, "back": back,
               "level": level}  # fmt: skip
    status = 400 if request.method == "POST" else 200
    return render(request, "teaching/schedule.html", context, status=status)
