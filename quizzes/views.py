"""The learner's quiz pages: the quiz, taking an attempt, confirming, the live result.

Everything works without JavaScript (plain forms, a refresh link); quiz.js adds
autosave, the countdown and the live result on top.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.auth import current_learner
from accounts.roles import teaches
from quizzes import selectors, services
from quizzes.models import Attempt
from quizzes.presentation import question_form_entry, question_text_html, response_from_form

RULE_MESSAGES = {
    "not_open": gettext_lazy("This quiz is not open yet."),
    "no_attempts_left": gettext_lazy("You have used all your attempts at this quiz."),
    "busy": gettext_lazy("Could not start the attempt; please try again."),
    "time_is_up": gettext_lazy("The time for this attempt is up; it has been submitted."),
    "not_in_progress": gettext_lazy("This attempt has already been submitted."),
    "invalid_response": gettext_lazy("One of the answers could not be read; please check it."),
    "unknown_question": gettext_lazy("One of the answers could not be read; please check it."),
}


def _rule_message(error: services.QuizRuleError) -> str:
    # Lazy strings: rendered at request time, in the learner's language.
    known = RULE_MESSAGES.get(error.code)
    return str(known) if known is not None else str(error)


def _own_attempt(request: HttpRequest, attempt_id: int) -> Attempt:
    return selectors.own_attempt(learner=current_learner(request), attempt_id=attempt_id)


@login_required
def quiz_view(request: HttpRequest, quiz_id: int) -> HttpResponse:
    now = timezone.now()
    page = selectors.quiz_page_for(learner=current_learner(request), quiz_id=quiz_id, now=now)
    quiz = page.quiz
    context = {
        "quiz": quiz,
        "section": quiz.section,
        "instructions_html": question_text_html(quiz.instructions, "markdown"),
        "question_count": page.question_count,
        "attempts": page.attempts,
        "current": page.current,
        "attempts_left": page.attempts_left,
        "result": page.result,
        # An essay waits for a person: said so, rather than "not completed".
        "awaiting_grade": any(a.awaiting_manual_grading for a in page.attempts),
        "now": now,
        "scores_hidden": page.scores_hidden,
        "held": page.held,
        "results_from": page.results_from,
        "time_limit_minutes": page.time_limit_minutes,
        "dates": page.dates,
    }
    return render(request, "quizzes/quiz.html", context)


@login_required
@require_POST
def attempt_start_view(request: HttpRequest, quiz_id: int) -> HttpResponse:
    learner = current_learner(request)
    quiz = selectors.quiz_for_learner(quiz_id=quiz_id)
    try:
        attempt = services.attempt_start(learner=learner, quiz=quiz)
    except services.QuizRuleError as error:
        messages.error(request, _rule_message(error))
        return redirect("quizzes:quiz", quiz_id=quiz.pk)
    return redirect("quizzes:attempt", attempt_id=attempt.pk)


def _questions_context(attempt: Attempt) -> list[dict[str, Any]]:
    """Each question with what the learner has answered so far, ready for the form."""
    shown = []
    number = 0
    for item, response in selectors.attempt_responses_shown(attempt=attempt):
        # A description is not a question: numbers count questions only (as Moodle's).
        if item.question.type != "description":
            number += 1
        shown.append(
            question_form_entry(
                number=number,
                view=item.view,
                text_html=question_text_html(item.question.text, item.question.text_format),
                response=response or {},
            )
        )
    return shown


def _responses(attempt: Attempt, request: HttpRequest) -> dict[int, Any]:
    # The form carries the opaque ids the learner saw (the service stores the real ones).
    return {
        item.view["id"]: response_from_form(item.view, request.POST.getlist)
        for item in selectors.attempt_questions(attempt=attempt)
    }


def _seconds_left(attempt: Attempt) -> int | None:
    if attempt.deadline is None:
        return None
    return max(int((attempt.deadline - timezone.now()).total_seconds()), 0)


@login_required
def attempt_view(request: HttpRequest, attempt_id: int) -> HttpResponse:
    """Take the attempt. POST saves the answers (the no-JavaScript path) and goes on."""
    attempt = _own_attempt(request, attempt_id)
    if attempt.status != Attempt.Status.IN_PROGRESS:
        return redirect("quizzes:result", attempt_id=attempt.pk)
    if request.method == "POST":
        action = request.POST.get("action", "save")
        try:
            services.attempt_save_answers(
                attempt=attempt,
                responses=_responses(attempt, request),
                shown_ids=True,
                as_typed=True,
            )
        except services.QuizRuleError as error:
            if error.code == "time_is_up":  # (the service submitted it as of the deadline)
                messages.warning(request, _rule_message(error))
                return redirect("quizzes:result", attempt_id=attempt.pk)
            if error.code == "not_in_progress":
                return redirect("quizzes:result", attempt_id=attempt.pk)
            messages.error(request, _rule_message(error))
            return redirect("quizzes:attempt", attempt_id=attempt.pk)
        if action == "finish":  # the countdown reached zero: no confirmation left to give
            services.attempt_submit(attempt=attempt)
            return redirect("quizzes:result", attempt_id=attempt.pk)
        if action == "review":
            return redirect("quizzes:confirm", attempt_id=attempt.pk)
        messages.success(request, _("Your answers are saved."))
        return redirect("quizzes:attempt", attempt_id=attempt.pk)
    context = {
        "attempt": attempt,
        "quiz": attempt.quiz,
        "questions": _questions_context(attempt),
        "seconds_left": _seconds_left(attempt),
    }
    return render(request, "quizzes/attempt.html", context)


@login_required
@require_POST
def attempt_autosave_view(request: HttpRequest, attempt_id: int) -> JsonResponse:
    """Autosave from quiz.js: the same form, answered with JSON."""
    attempt = _own_attempt(request, attempt_id)
    try:
        services.attempt_save_answers(
            attempt=attempt, responses=_responses(attempt, request), shown_ids=True, as_typed=True
        )
    except services.QuizRuleError as error:
        closed = error.code in {"time_is_up", "not_in_progress"}
        return JsonResponse(
            {"ok": False, "code": error.code, "message": _rule_message(error)},
            status=409 if closed else 400,
        )
    saved_at = timezone.localtime()
    return JsonResponse(
        {
            "ok": True,
            "message": _("Saved at %(time)s") % {"time": saved_at.strftime("%H:%M:%S")},
            "seconds_left": _seconds_left(attempt),
        }
    )


@login_required
def attempt_confirm_view(request: HttpRequest, attempt_id: int) -> HttpResponse:
    """Submit with confirmation: how many questions are answered, then one button."""
    attempt = _own_attempt(request, attempt_id)
    if attempt.status != Attempt.Status.IN_PROGRESS:
        return redirect("quizzes:result", attempt_id=attempt.pk)
    if request.method == "POST":
        if services.attempt_expired(attempt, timezone.now()):
            messages.warning(request, str(RULE_MESSAGES["time_is_up"]))
        services.attempt_submit(attempt=attempt)  # past the deadline: as of the deadline
        return redirect("quizzes:result", attempt_id=attempt.pk)
    answered, total = selectors.attempt_answered(attempt=attempt)
    context = {
        "attempt": attempt,
        "quiz": attempt.quiz,
        "answered": answered,
        "total": total,
        "unanswered": total - answered,
        "seconds_left": _seconds_left(attempt),
    }
    return render(request, "quizzes/confirm.html", context)


@login_required
def attempt_result_view(request: HttpRequest, attempt_id: int) -> HttpResponse:
    """The result; while grading, the page (or its fragment, for live.js) says so."""
    attempt = _own_attempt(request, attempt_id)
    if attempt.status == Attempt.Status.IN_PROGRESS:
        return redirect("quizzes:attempt", attempt_id=attempt.pk)
    review = selectors.attempt_review(attempt=attempt, now=timezone.now())
    context = {"attempt": review.attempt, "quiz": attempt.quiz, "review": review}
    if request.GET.get("fragment") or request.headers.get("X-Requested-With") == "fetch":
        return render(request, "quizzes/_result.html", context)
    return render(request, "quizzes/result.html", context)


@login_required
def question_file_view(request: HttpRequest, key: str, name: str) -> HttpResponse:
    """An image of a question, to whoever may see a question that has it: a learner when its
    section is published, an instructor of its course always."""
    user = request.user
    for file in selectors.question_files(key=key, name=name):
        section = file.question.quiz.section
        if section.is_published or teaches(user, section.part.course_id):
            response = HttpResponse(bytes(file.data), content_type=file.content_type)
            # Only ever shown as an image: never sniffed as anything else, never run.
            response["X-Content-Type-Options"] = "nosniff"
            response["Content-Security-Policy"] = "default-src 'none'; sandbox"
            response["Content-Disposition"] = "inline"
            response["Cache-Control"] = "private, max-age=86400"
            return response
    raise Http404
