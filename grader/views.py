"""The learner's code exercise pages: the exercise with its editor, submit, the live result."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers, patch_vary_headers
from django.utils.formats import time_format
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from accounts.auth import current_learner
from grader import presentation, selectors
from grader.models import CodingExercise
from grader.services import (
    DraftRefused,
    ExampleRunRefused,
    ExerciseError,
    GradingQueueFull,
    draft_discard,
    draft_save,
    example_run_create,
    submission_create,
)


def _exercise_or_404(exercise_id: int) -> CodingExercise:
    exercise = selectors.exercise_get_published(exercise_id=exercise_id)
    if exercise is None:
        raise Http404
    return exercise


def _int_or_none(value: str | None) -> int | None:
    ok = value is not None and value.isascii() and value.isdigit() and len(value) < 19
    return int(value) if ok and value is not None else None


@require_GET
@login_required
def exercise_detail_view(request: HttpRequest, exercise_id: int) -> HttpResponse:
    exercise = _exercise_or_404(exercise_id)
    page = selectors.exercise_page_for(
        exercise=exercise,
        learner=current_learner(request),
        start_over="reset" in request.GET,
        from_submission_id=_int_or_none(request.GET.get("from")),
        example_run_id=_int_or_none(request.GET.get("examples")),
    )
    shown = presentation.exercise_shown(exercise)
    response = render(request, "grader/exercise_detail.html", {"page": page, "shown": shown})
    if page.examples is not None:
        add_never_cache_headers(response)  # (its result changes while it runs)
    return response


def _posted_files(request: HttpRequest, exercise: CodingExercise) -> dict[str, str]:
    # Browsers send a textarea's line breaks as CRLF; the code was written with LF.
    return {
        name: request.POST[field].replace("\r\n", "\n")
        for name in exercise.starter_files
        if (field := selectors.editor_field(name)) in request.POST
    }


def _refused(
    request: HttpRequest, exercise: CodingExercise, files: dict[str, str], error: ExerciseError
) -> HttpResponse:
    """The exercise page again with the learner's code as sent (nothing typed is lost)."""
    page = selectors.exercise_page_for(
        exercise=exercise, learner=current_learner(request), draft=files
    )
    shown = presentation.exercise_shown(exercise)
    status = 429 if isinstance(error, ExampleRunRefused) else 400
    if isinstance(error, GradingQueueFull):
        status = 503
    response = render(
        request,
        "grader/exercise_detail.html",
        {"page": page, "shown": shown, "submit_error": str(error),
         "examples_refused": isinstance(error, ExampleRunRefused)},
        status=status,
    )  # fmt: skip
    if isinstance(error, ExampleRunRefused | GradingQueueFull):
        response["Retry-After"] = str(error.retry_after)
    return response


@require_POST
@login_required
def exercise_submit_view(request: HttpRequest, exercise_id: int) -> HttpResponse:
    exercise = _exercise_or_404(exercise_id)
    files = _posted_files(request, exercise)
    try:
        submission = submission_create(
            learner=current_learner(request), exercise=exercise, files=files
        )
    except ExerciseError as error:
        return _refused(request, exercise, files, error)
    url = reverse("grader:submission", kwargs={"submission_id": submission.pk})
    return HttpResponseRedirect(url, status=303)


@require_POST
@login_required
def exercise_examples_view(request: HttpRequest, exercise_id: int) -> HttpResponse:
    """Run the learner's code on the exercise's visible examples (not graded): back to the
    exercise page, the code in the editor and the run's result above it."""
    exercise = _exercise_or_404(exercise_id)
    files = _posted_files(request, exercise)
    try:
        run = example_run_create(learner=current_learner(request), exercise=exercise, files=files)
    except ExerciseError as error:
        return _refused(request, exercise, files, error)
    url = reverse("grader:exercise", kwargs={"exercise_id": exercise.pk})
    return HttpResponseRedirect(f"{url}?examples={run.pk}#examples-result", status=303)


@require_POST
@never_cache
@login_required
def exercise_draft_view(request: HttpRequest, exercise_id: int) -> JsonResponse:
    """Save the editor's content as the learner's draft (editor.js, as they type): JSON with
    when it was saved, or the error that stopped it."""
    exercise = _exercise_or_404(exercise_id)
    try:
        draft = draft_save(
            learner=current_learner(request),
            exercise=exercise,
            files=_posted_files(request, exercise),
        )
    except ExerciseError as error:
        refused = isinstance(error, DraftRefused)
        status = 429 if refused else 400
        response = JsonResponse({"ok": False, "message": str(error)}, status=status)
        if isinstance(error, DraftRefused):
            response["Retry-After"] = str(error.retry_after)
        return response
    saved_at = timezone.localtime(draft.updated_at)
    return JsonResponse({
        "ok": True,
        "saved_at": saved_at.isoformat(),
        "message": _("Draft saved at %(time)s") % {"time": time_format(saved_at, "H:i")},
    })  # fmt: skip


@require_POST
@login_required
def exercise_reset_view(request: HttpRequest, exercise_id: int) -> HttpResponse:
    """Reset to the starter code (asked first on the page): the draft goes, the editor
    shows the starter; the submissions stay."""
    exercise = _exercise_or_404(exercise_id)
    draft_discard(learner=current_learner(request), exercise=exercise)
    url = reverse("grader:exercise", kwargs={"exercise_id": exercise.pk})
    return HttpResponseRedirect(f"{url}?reset=1#editor", status=303)


@require_GET
@never_cache
@login_required
def example_run_view(request: HttpRequest, run_id: int) -> HttpResponse:
    """A run of the examples: its live result (?fragment=1, polled by the exercise page), else
    the exercise page that shows it."""
    run = selectors.example_run_get_for(run_id=run_id, learner=current_learner(request))
    if run is None:
        raise Http404  # someone else's run looks the same as none at all
    if not _wants_fragment(request):
        url = reverse("grader:exercise", kwargs={"exercise_id": run.exercise_id})
        return HttpResponseRedirect(f"{url}?examples={run.pk}#examples-result")
    result = selectors.example_run_result(run=run)
    response = render(request, "grader/_example_run_result.html", {"examples": result})
    patch_vary_headers(response, ["X-Requested-With"])
    return response


def _wants_fragment(request: HttpRequest) -> bool:
    return request.GET.get("fragment") == "1" or "X-Requested-With" in request.headers


@require_GET
@never_cache
@login_required
def submission_detail_view(request: HttpRequest, submission_id: int) -> HttpResponse:
    submission = selectors.submission_get_for(
        submission_id=submission_id, learner=current_learner(request)
    )
    if submission is None:
        raise Http404  # someone else's submission looks the same as none at all
    fragment = _wants_fragment(request)
    result = selectors.submission_result(submission=submission)
    shown = presentation.submission_shown(result, with_code=not fragment)
    template = "grader/_submission_result.html" if fragment else "grader/submission_detail.html"
    context = {"result": result, "shown": shown, "submission": result.submission,
               "exercise": result.exercise}  # fmt: skip
    response = render(request, template, context)
    patch_vary_headers(response, ["X-Requested-With"])
    return response
