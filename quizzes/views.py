"""The learner's quiz pages: the quiz, taking an attempt, confirming, the live result.

Everything works without JavaScript (plain forms, a refresh link); quiz.js adds
autosave, the countdown and the live result on top.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.auth import current_learner
from quizzes import selectors, services
from quizzes.models import Attempt, Quiz
from quizzes.presentation import question_form_entry, question_text_html, response_from_form
from quizzes.visibility import scores_hidden_until_due

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


def _quiz_for_learner(quiz_id: int) -> Quiz:
    quiz = get_object_or_404(Quiz.objects.select_related("section__part__course"), pk=quiz_id)
    if not quiz.section.is_published:
        raise Http404
    return quiz


def _own_attempt(request: HttpRequest, attempt_id: int) -> Attempt:
    """The learner's own attempt; anyone else's is a 404, not a 403 (it does not exist for them)."""
    learner = current_learner(request)
    # What the API shows this user, narrowed to their own: the pages are where one takes it.
    return get_object_or_404(
        selectors.attempts_visible_to(learner).select_related("quiz__section__part__course"),
        pk=attempt_id,
        learner=learner,
    )


@login_required
def quiz_view(request: HttpRequest, quiz_id: int) -> HttpResponse:
    learner = current_learner(request)
    quiz = _quiz_for_learner(quiz_id)
    # Through the quiz's manager: each attempt knows its quiz (the read models ask it).
    attempts = list(quiz.attempts.filter(learner=learner).order_by("-number"))
    used = sum(1 for a in attempts if a.status != Attempt.Status.ERROR)
    now = timezone.now()
    context = {
        "quiz": quiz,
        "section": quiz.section,
        "instructions_html": question_text_html(quiz.instructions, "markdown"),
        "question_count": quiz.questions.count(),
        # The list shows each attempt's read model: its score only when the learner may see it.
        "attempts": [
            selectors.attempt_view(attempt=a, teaches=False, with_questions=False, now=now)
            for a in attempts
        ],
        "current": next((a for a in attempts if a.status == Attempt.Status.IN_PROGRESS), None),
        # An essay waits for a person: said so, rather than "not completed".
        "awaiting_grade": any(a.awaiting_manual_grading for a in attempts),
        "attempts_left": None if quiz.max_attempts is None else max(quiz.max_attempts - used, 0),
        # From the attempts already loaded: the same policy, no second query.
        "result": selectors.quiz_result_from(
            quiz=quiz,
            percents=[
                a.percent
                for a in reversed(attempts)
                if a.status == Attempt.Status.GRADED and a.percent is not None
            ],
        ),
        "now": now,
        # Under `after_due` scores wait for the due date (as on the result page and the API).
        "scores_hidden": scores_hidden_until_due(
            feedback_policy=quiz.feedback_policy, due_at=quiz.due_at, now=now
        ),
        "time_limit_minutes": max(round(quiz.time_limit.total_seconds() / 60), 1)
        if quiz.time_limit
        else None,
    }
    return render(request, "quizzes/quiz.html", context)


@login_required
@require_POST
def attempt_start_view(request: HttpRequest, quiz_id: int) -> HttpResponse:
    learner = current_learner(request)
    quiz = _quiz_for_learner(quiz_id)
    try:
        attempt = services.attempt_start(learner=learner, quiz=quiz)
    except services.QuizRuleError as error:
        messages.error(request, _rule_message(error))
        return redirect("quizzes:quiz", quiz_id=quiz.pk)
    return redirect("quizzes:attempt", attempt_id=attempt.pk)


def _questions_context(attempt: Attempt) -> list[dict[str, Any]]:
    """Each question with what the learner has answered so far, ready for the form."""
    answers = {a.question_id: a.response for a in attempt.answers.all()}
    shown = []
    for number, item in enumerate(selectors.attempt_questions(attempt=attempt), start=1):
        view = item.view
        question = item.question
        response = item.response_to_shown(answers.get(question.pk)) or {}
        entry = question_form_entry(
            number=number,
            view=view,
            text_html=question_text_html(question.text, question.text_format),
            response=response,
        )
        shown.append(entry)
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
    total = attempt.quiz.questions.count()
    answered = attempt.answers.exclude(response__isnull=True).count()
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
