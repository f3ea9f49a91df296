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
from django.contrib.auth.models import User
from django.core.validators import MaxValueValidator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.roles import teaches
from courses.models import Course, Part, Section
from grader.models import CodingExercise, Submission
from quizzes.editor_forms import SpecFields
from quizzes.models import Question, Quiz
from quizzes.services import QuizRuleError
from teaching import copying
from teaching.analysis import exercise_analysis, quiz_analysis
from teaching.gradebook import SORTS, gradebook_page, learner_section_work
from teaching.grading_queue import (
    GradingQueue,
    grading_queue,
    queue_answer,
    queue_grade,
)
from teaching.models import RegradeJob, StagedUpload
from teaching.question_editor import (
    PREVIEW_SEED,
    TYPE_LABELS,
    QuestionCommonForm,
    TryResult,
    editor_forms,
    editor_question,
    editor_quiz,
    question_from_editor,
    question_preview,
    question_try,
)
from teaching.regrade import RegradeError, job_summary, regrade_apply, regrade_start
from teaching.site_import import (
    MAX_BYTES,
    ImportPreview,
    SiteImportError,
    part_readme_file,
    quiz_gift_file,
    quiz_moodle_xml_file,
    sections_of,
    staged_get,
    upload_apply,
    upload_preview,
    upload_stage,
)


def _course(request: HttpRequest, course_slug: str) -> Course:
    course = get_object_or_404(Course, slug=course_slug)
    if not teaches(request.user, course.pk):
        raise Http404  # a learner sees no instructor page, not a "forbidden" one
    return course


def _int(value: str | None) -> int | None:
    ok = value is not None and value.isascii() and value.isdigit() and len(value) < 19
    return int(value) if ok and value is not None else None


def _quizzes(course: Course) -> list[Quiz]:
    quizzes = Quiz.objects.filter(section__part__course=course).select_related("section")
    return list(
        quizzes.order_by("section__part__number", "section__order", "section_id", "order", "id")
    )


def _exercises(course: Course) -> list[CodingExercise]:
    return list(
        CodingExercise.objects.filter(section__part__course=course)
        .select_related("section")
        .order_by("section__part__number", "section__order", "section_id", "order", "id")
    )


@require_GET
@login_required
def teach_home_view(request: HttpRequest, course_slug: str) -> HttpResponse:
    course = _course(request, course_slug)
    context = {"course": course, "quizzes": _quizzes(course), "exercises": _exercises(course)}
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
    section = get_object_or_404(Section, pk=section_id, part__course=course)
    learner = get_object_or_404(User, pk=learner_id)
    work = learner_section_work(learner=learner, section=section)
    return render(request, "teaching/learner_section.html", {"course": course, "work": work})


@require_GET
@login_required
def analysis_quiz_view(request: HttpRequest, course_slug: str, quiz_id: int) -> HttpResponse:
    course = _course(request, course_slug)
    quiz = get_object_or_404(Quiz, pk=quiz_id, section__part__course=course)
    context = {"course": course, "analysis": quiz_analysis(quiz=quiz), "form": RegradeForm()}
    return render(request, "teaching/analysis_quiz.html", context)


@require_GET
@login_required
def analysis_exercise_view(
    request: HttpRequest, course_slug: str, exercise_id: int
) -> HttpResponse:
    course = _course(request, course_slug)
    exercise = get_object_or_404(CodingExercise, pk=exercise_id, section__part__course=course)
    context = {
        "course": course, "analysis": exercise_analysis(exercise=exercise), "form": RegradeForm(),
    }  # fmt: skip
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
    models: dict[str, Any] = {"quiz": Quiz, "question": Question, "exercise": CodingExercise}
    if kind not in models or pk is None:
        raise Http404
    path = "quiz__section__part__course" if kind == "question" else "section__part__course"
    return {kind: get_object_or_404(models[kind], pk=pk, **{path: course})}


@require_GET
@login_required
def regrade_list_view(request: HttpRequest, course_slug: str) -> HttpResponse:
    course = _course(request, course_slug)
    jobs = RegradeJob.objects.filter(course=course).select_related(
        "question", "quiz", "exercise", "created_by"
    )[:100]
    context = {"course": course, "jobs": jobs, "quizzes": _quizzes(course),
               "exercises": _exercises(course), "form": RegradeForm()}  # fmt: skip
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
    job = get_object_or_404(
        RegradeJob.objects.select_related("question", "quiz", "exercise", "created_by"),
        pk=job_id, course=course,
    )  # fmt: skip
    if request.method == "POST":
        try:
            regrade_apply(job=job, by=request.user)  # type: ignore[arg-type]
            messages.success(request, _("Applying: the grades change as you watch."))
        except RegradeError as error:
            messages.error(request, str(error))
        return redirect("teaching:regrade", course_slug=course.slug, job_id=job.pk)
    changes = job.changes.select_related("learner", "attempt", "submission").order_by("id")[:500]
    running = job.status in {RegradeJob.Status.COMPUTING, RegradeJob.Status.APPLYING}
    context = {"course": course, "job": job, "summary": job_summary(job), "changes": changes,
               "running": running}  # fmt: skip
    return render(request, "teaching/regrade.html", context)


@require_GET
@login_required
def similarity_view(request: HttpRequest, course_slug: str, exercise_id: int) -> HttpResponse:
    course = _course(request, course_slug)
    exercise = get_object_or_404(CodingExercise, pk=exercise_id, section__part__course=course)
    pairs = copying.similar_pairs(exercise=exercise)
    context = {"course": course, "exercise": exercise, "pairs": pairs}
    return render(request, "teaching/similarity.html", context)


@require_GET
@login_required
def similarity_pair_view(
    request: HttpRequest, course_slug: str, exercise_id: int, a_id: int, b_id: int
) -> HttpResponse:
    course = _course(request, course_slug)
    exercise = get_object_or_404(CodingExercise, pk=exercise_id, section__part__course=course)
    a = get_object_or_404(Submission.objects.select_related("learner"), pk=a_id, exercise=exercise)
    b = get_object_or_404(Submission.objects.select_related("learner"), pk=b_id, exercise=exercise)
    score, files = copying.pair_detail(exercise=exercise, a=a, b=b)
    context = {"course": course, "exercise": exercise, "a": a, "b": b,
               "percent": round(score * 100), "files": files}  # fmt: skip
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
        attempt = queue_grade(
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
    learner = attempt.learner
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
    context = {
        "course": course,
        "forms": forms_by_kind,
        "sections": sections_of(course),
        "quizzes": _quizzes(course),
        "parts": Part.objects.filter(course=course).order_by("number"),
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
        section = Section.objects.filter(
            pk=form.cleaned_data["section"], part__course=course
        ).first()
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
    quiz = get_object_or_404(Quiz, pk=quiz_id, section__part__course=course)
    name, text = quiz_gift_file(quiz=quiz)
    return _download(name, text, "text/plain")


@require_GET
@login_required
def export_quiz_xml_view(request: HttpRequest, course_slug: str, quiz_id: int) -> HttpResponse:
    course = _course(request, course_slug)
    quiz = get_object_or_404(Quiz, pk=quiz_id, section__part__course=course)
    name, text = quiz_moodle_xml_file(quiz=quiz)
    return _download(name, text, "application/xml")


@require_GET
@login_required
def export_part_view(request: HttpRequest, course_slug: str, part_number: int) -> HttpResponse:
    course = _course(request, course_slug)
    part = get_object_or_404(Part, course=course, number=part_number)
    name, text = part_readme_file(part=part)
    return _download(name, text, "text/markdown")


# --- the question editor (teaching.question_editor) -------------------------------------


@require_GET
@login_required
def quiz_questions_view(request: HttpRequest, course_slug: str, quiz_id: int) -> HttpResponse:
    course = _course(request, course_slug)
    quiz = editor_quiz(course=course, quiz_id=quiz_id)
    context = {
        "course": course,
        "quiz": quiz,
        "questions": list(quiz.questions.order_by("order", "id")),
        "types": list(TYPE_LABELS.items()),
        "type_labels": TYPE_LABELS,
    }
    return render(request, "teaching/quiz_questions.html", context)


@require_http_methods(["GET", "POST"])
@login_required
def question_new_view(request: HttpRequest, course_slug: str, quiz_id: int) -> HttpResponse:
    course = _course(request, course_slug)
    quiz = editor_quiz(course=course, quiz_id=quiz_id)
    question_type = request.GET.get("type", "")
    if question_type not in TYPE_LABELS:
        raise Http404
    question = Question(quiz=quiz, type=question_type, text_format=Question.TextFormat.MARKDOWN)
    return _question_editor(request, course, question)


def _editor_question(
    request: HttpRequest, course_slug: str, quiz_id: int, question_id: int
) -> tuple[Course, Question]:
    course = _course(request, course_slug)
    quiz = editor_quiz(course=course, quiz_id=quiz_id)
    return course, editor_question(quiz=quiz, question_id=question_id)


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
    """GET shows the editor; POST saves, or adds empty rows to a list (action=add-<list>)."""
    if request.method != "POST":
        common, spec_fields = editor_forms(question=question)
        return _question_editor_page(request, course, question, common, spec_fields)
    common, spec_fields = editor_forms(question=question, data=request.POST)
    if spec_fields.add_rows:  # not a save: nothing is refused yet
        common = QuestionCommonForm(initial=request.POST.dict())
        return _question_editor_page(request, course, question, common, spec_fields)
    valid = common.is_valid()
    if not (spec_fields.is_valid() and valid):
        return _question_editor_page(request, course, question, common, spec_fields, status=400)
    created = question.pk is None
    question = question_from_editor(question=question, common=common, spec_fields=spec_fields)
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
) -> HttpResponse:
    seed = _int(request.GET.get("seed") or request.POST.get("seed")) or PREVIEW_SEED
    context = {
        "course": course,
        "quiz": question.quiz,
        "question": question,
        "type_label": TYPE_LABELS[question.type],
        "common": common,
        "spec_fields": spec_fields,
        "seed": seed,
        "tried": tried,
        # A changed key applies to gradings from now on; past ones change only by a regrade.
        "answered": question.pk is not None and question.answers.exists(),
        # The preview is of the question as saved: a new one has nothing to show yet.
        "q": question_preview(question=question, seed=seed, tried=tried) if question.pk else None,
        "lang": course.language,
    }
    return render(request, "teaching/question_edit.html", context, status=status)
