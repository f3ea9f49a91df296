"""The learner's quiz pages: take an attempt through the forms, submit, see the result."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from quizzes import grading, services
from quizzes.grading.fields import MAX_RESPONSE_TEXT_BYTES
from quizzes.models import Answer, Attempt, Quiz
from quizzes.selectors import attempt_questions
from quizzes.services import attempt_grade
from tests.factories import QuestionFactory, QuizFactory, UserFactory

pytestmark = pytest.mark.django_db

SECRET_FEEDBACK = "секретный отзыв"
SPECS: dict[str, dict[str, Any]] = {
    "single_choice": {
        "choices": [
            {"id": "a", "text": "горутина", "weight": 0, "feedback": ""},
            {"id": "b", "text": "канал", "weight": 100, "feedback": SECRET_FEEDBACK},
        ]
    },
    "multiple_choice": {
        "scoring": "partial",
        "choices": [
            {"id": "a", "text": "select", "weight": 50},
            {"id": "b", "text": "range", "weight": 50},
            {"id": "c", "text": "goto", "weight": -100},
        ],
    },
    "true_false": {"answer": True},
    "short_text": {"answers": [{"text": "ключевое-слово-ответ", "weight": 100}]},
    "numeric": {
        "answers": [{"kind": "tolerance", "value": "2.718", "tolerance": "0.01", "weight": 100}]
    },
    "ordering": {
        "scoring": "positions",
        "items": [
            {"id": "a", "text": "объявить"},
            {"id": "b", "text": "присвоить"},
            {"id": "c", "text": "прочитать"},
        ],
    },
    "matching": {
        "pairs": [
            {"id": "a", "prompt": "chan", "answer": "канал"},
            {"id": "b", "prompt": "map", "answer": "словарь"},
        ],
    },
    "fill_blanks": {
        "text": "Оператор {{1}} запускает горутину, их бывает {{2}}",
        "gaps": [
            {"id": "1", "kind": "text", "answers": [{"text": "go", "weight": 100}]},
            {
                "id": "2",
                "kind": "choice",
                "choices": [
                    {"id": "x", "text": "много", "weight": 100},
                    {"id": "y", "text": "одна", "weight": 0},
                ],
            },
        ],
    },
    "essay": {"min_words": 0, "max_words": None},
}


@pytest.fixture
def quiz() -> Quiz:
    quiz = QuizFactory.create(pass_score=50, title="Проверка 4.1")
    for order, (kind, spec) in enumerate(SPECS.items()):
        QuestionFactory.create(quiz=quiz, type=kind, spec=spec, order=order, text=f"Вопрос {kind}")
    return quiz


@pytest.fixture
def queued(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    sent: list[int] = []

    def queue(*, attempt_id: int) -> bool:
        sent.append(attempt_id)
        return True

    monkeypatch.setattr(services, "attempt_queue_grading", queue)
    return sent


@pytest.fixture
def learner_client(client: Client) -> Client:
    client.force_login(UserFactory.create(username="ученик"))
    return client


def question_ids(quiz: Quiz) -> dict[str, int]:
    return {q.type: q.pk for q in quiz.questions.all()}


def full_answers(attempt: Attempt) -> dict[str, str | list[str]]:
    """The right answers, as the form sends them: in the opaque ids this attempt shows."""
    items = {item.question.type: item for item in attempt_questions(attempt=attempt)}
    ids = {kind: item.question.pk for kind, item in items.items()}

    def shown(kind: str, response: dict) -> dict:
        return items[kind].response_to_shown(response)

    first, second, third = shown("ordering", {"order": ["a", "b", "c"]})["order"]
    return {
        f"q{ids['single_choice']}": shown("single_choice", {"choice": "b"})["choice"],
        f"q{ids['multiple_choice']}": shown("multiple_choice", {"choices": ["a", "b"]})["choices"],
        f"q{ids['true_false']}": "true",
        f"q{ids['short_text']}": "  КЛЮЧЕВОЕ-слово-ответ ",
        f"q{ids['numeric']}": "2,72",
        f"q{ids['ordering']}-{first}": "1",
        f"q{ids['ordering']}-{second}": "2",
        f"q{ids['ordering']}-{third}": "3",
        f"q{ids['matching']}-a": "канал",
        f"q{ids['matching']}-b": "словарь",
        f"q{ids['fill_blanks']}-1": "go",
        f"q{ids['fill_blanks']}-2": shown("fill_blanks", {"gaps": {"2": "x"}})["gaps"]["2"],
    }


def start(client: Client, quiz: Quiz) -> Attempt:
    response = client.post(reverse("quizzes:start", kwargs={"quiz_id": quiz.pk}))
    assert response.status_code == 302
    return Attempt.objects.get(quiz=quiz)


def autosave_url(attempt: Attempt) -> str:
    return reverse("quizzes:autosave", kwargs={"attempt_id": attempt.pk})


def answered_right_and_graded(client: Client, quiz: Quiz) -> str:
    """Start, answer everything right, submit, grade in-process; the result page's URL."""
    attempt = start(client, quiz)
    client.post(reverse("quizzes:attempt", kwargs={"attempt_id": attempt.pk}),
                {**full_answers(attempt), "action": "save"})  # fmt: skip
    client.post(reverse("quizzes:confirm", kwargs={"attempt_id": attempt.pk}))
    attempt_grade(attempt_id=attempt.pk)
    return reverse("quizzes:result", kwargs={"attempt_id": attempt.pk})


def test_pages_need_a_login(client: Client, quiz: Quiz) -> None:
    response = client.get(reverse("quizzes:quiz", kwargs={"quiz_id": quiz.pk}))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_attempt_page_shows_every_question_type_without_answer_keys(
    learner_client: Client, quiz: Quiz
) -> None:
    attempt = start(learner_client, quiz)
    html = learner_client.get(
        reverse("quizzes:attempt", kwargs={"attempt_id": attempt.pk})
    ).content.decode()
    for kind in SPECS:
        assert f"Вопрос {kind}" in html or kind == "fill_blanks"
    assert "Оператор" in html
    assert "запускает горутину" in html
    # What to choose from is shown; what is right never is.
    assert "канал" in html
    assert "словарь" in html
    assert "прочитать" in html
    for secret in (SECRET_FEEDBACK, "ключевое-слово-ответ", "2.718", "weight"):
        assert secret not in html
    # Stored ids ("a", "b" in the order written, the right one often first; an ordering
    # question's items in the right order) never reach the page: ids are opaque.
    for stored in ("a", "b", "c", "x", "y"):
        assert f'value="{stored}"' not in html
        assert f'-{stored}"' not in html.replace(f"q{question_ids(quiz)['matching']}-", "")
    # Every input has a label (for= / aria-label) — checked in full by axe in the browser tests.
    assert html.count("<label") >= 10


def test_answers_from_the_form_are_graded_and_the_result_shown(
    learner_client: Client, quiz: Quiz, queued: list[int], django_capture_on_commit_callbacks
) -> None:
    attempt = start(learner_client, quiz)
    url = reverse("quizzes:attempt", kwargs={"attempt_id": attempt.pk})
    response = learner_client.post(url, {**full_answers(attempt), "action": "review"})
    assert response.status_code == 302
    assert response["Location"] == reverse("quizzes:confirm", kwargs={"attempt_id": attempt.pk})
    confirm = learner_client.get(response["Location"]).content.decode()
    assert "8" in confirm
    assert "9" in confirm
    with django_capture_on_commit_callbacks(execute=True):
        response = learner_client.post(response["Location"])
    assert response["Location"] == reverse("quizzes:result", kwargs={"attempt_id": attempt.pk})
    assert queued == [attempt.pk]

    fragment = learner_client.get(response["Location"] + "?fragment=1").content.decode()
    assert "data-live-final" not in fragment  # still grading

    attempt_grade(attempt_id=attempt.pk)
    attempt.refresh_from_db()
    # Every auto-graded answer read from the form is right: 8 of 9 points (essay waits).
    scores = {a.question.type: a.score for a in attempt.answers.select_related("question")}
    assert all(scores[kind] == Decimal("1") for kind in SPECS if kind != "essay"), scores


def test_result_is_final_and_shows_feedback_when_policy_allows(
    learner_client: Client, quiz: Quiz, queued: list[int]
) -> None:
    quiz.questions.filter(type="essay").delete()
    url = answered_right_and_graded(learner_client, quiz)
    fragment = learner_client.get(url + "?fragment=1").content.decode()
    assert "data-live-final" in fragment
    assert "8 of 8" in fragment or "8 из 8" in fragment
    assert SECRET_FEEDBACK in fragment  # the feedback of the learner's own pick

    quiz.feedback_policy = Quiz.FeedbackPolicy.NEVER
    quiz.save()
    fragment = learner_client.get(url + "?fragment=1").content.decode()
    assert "data-live-final" in fragment
    assert SECRET_FEEDBACK not in fragment

    quiz.feedback_policy = Quiz.FeedbackPolicy.AFTER_DUE
    quiz.due_at = timezone.now() + timedelta(days=1)
    quiz.save()
    fragment = learner_client.get(url + "?fragment=1").content.decode()
    assert SECRET_FEEDBACK not in fragment


def test_autosave_stores_answers_and_reports_time_up(
    learner_client: Client, quiz: Quiz, queued: list[int]
) -> None:
    attempt = start(learner_client, quiz)
    url = reverse("quizzes:autosave", kwargs={"attempt_id": attempt.pk})
    ids = question_ids(quiz)
    response = learner_client.post(url, {f"q{ids['numeric']}": "3,5"})
    assert response.status_code == 200
    assert json.loads(response.content)["ok"] is True
    assert Answer.objects.get(attempt=attempt, question_id=ids["numeric"]).response == {
        "text": "3,5"
    }

    # A reload shows what was saved.
    html = learner_client.get(
        reverse("quizzes:attempt", kwargs={"attempt_id": attempt.pk})
    ).content.decode()
    assert 'value="3,5"' in html

    Attempt.objects.filter(pk=attempt.pk).update(deadline=timezone.now() - timedelta(minutes=5))
    response = learner_client.post(url, {f"q{ids['numeric']}": "4"})
    assert response.status_code == 409
    assert json.loads(response.content)["code"] == "time_is_up"


def test_an_invalid_answer_is_refused_with_a_message_and_nothing_saved(
    learner_client: Client, quiz: Quiz
) -> None:
    attempt = start(learner_client, quiz)
    ids = question_ids(quiz)
    url = reverse("quizzes:attempt", kwargs={"attempt_id": attempt.pk})
    response = learner_client.post(url, {f"q{ids['single_choice']}": "zzz", "action": "save"},
                                   follow=True)  # fmt: skip
    assert response.status_code == 200
    assert not Answer.objects.filter(attempt=attempt).exists()
    assert b"message--error" in response.content  # the reason is shown, in the learner's language


def test_another_learners_attempt_is_not_found(client: Client, quiz: Quiz) -> None:
    owner = UserFactory.create(username="owner")
    attempt = services.attempt_start(learner=owner, quiz=quiz)
    client.force_login(UserFactory.create(username="intruder"))
    for name in ("attempt", "confirm", "result", "autosave"):
        url = reverse(f"quizzes:{name}", kwargs={"attempt_id": attempt.pk})
        response = client.post(url) if name == "autosave" else client.get(url)
        assert response.status_code == 404, name


def test_attempt_limit_is_explained_on_the_quiz_page(
    learner_client: Client, quiz: Quiz, queued: list[int]
) -> None:
    quiz.max_attempts = 1
    quiz.save()
    attempt = start(learner_client, quiz)
    learner_client.post(reverse("quizzes:confirm", kwargs={"attempt_id": attempt.pk}))
    response = learner_client.post(
        reverse("quizzes:start", kwargs={"quiz_id": quiz.pk}), follow=True
    )
    assert Attempt.objects.filter(quiz=quiz).count() == 1
    assert response.status_code == 200
    html = response.content.decode()
    assert "all your attempts" in html or "все попытки" in html


@pytest.mark.parametrize(("policy", "shown"), [("best", "90"), ("last", "40"), ("average", "65")])
def test_quiz_page_shows_the_score_by_the_quizs_policy(
    learner_client: Client, quiz: Quiz, policy: str, shown: str
) -> None:
    quiz.score_policy = policy
    quiz.save()
    learner = UserFactory.create(username="ученик")
    for number, percent in ((1, 90), (2, 40)):
        Attempt.objects.create(
            learner=learner, quiz=quiz, number=number, seed=1, started_at=timezone.now(),
            status="graded", percent=percent,
        )  # fmt: skip
    html = learner_client.get(reverse("quizzes:quiz", kwargs={"quiz_id": quiz.pk})).content.decode()
    standing = re.search(r'<p class="item-state[^"]*">(.*?)</p>', html, re.S)
    assert standing is not None
    assert f"{shown}%" in standing.group(1)
    assert "90%" in html  # both attempts listed
    assert "40%" in html


def test_text_a_database_cannot_store_is_kept_visible_not_lost(
    learner_client: Client, quiz: Quiz
) -> None:
    # Regression (review): PostgreSQL's jsonb refuses a NUL character (a 500); then (issue 14)
    # refusing it lost the whole page of answers. A pasted NUL or terminal escape is now kept
    # as a visible escape, and the rest of the essay with it, on autosave and on the form.
    # (A lone surrogate cannot arrive in a form: the API refuses it in JSON with a 400.)
    attempt = start(learner_client, quiz)
    ids = question_ids(quiz)
    autosave = autosave_url(attempt)
    response = learner_client.post(autosave, {f"q{ids['essay']}": "hi\x00there \x1b[31m"})
    assert response.status_code == 200
    essay = Answer.objects.get(attempt=attempt, question_id=ids["essay"])
    assert essay.response == {"text": "hi\\x00there \\x1b[31m"}

    page = reverse("quizzes:attempt", kwargs={"attempt_id": attempt.pk})
    form = {f"q{ids['short_text']}": "a\x00b", f"q{ids['essay']}": "hi\x00there", "action": "save"}
    learner_client.post(page, form)
    answer = Answer.objects.get(attempt=attempt, question_id=ids["short_text"])
    assert answer.response == {"text": "a\\x00b"}
    html = learner_client.get(page).content.decode()
    assert "hi\\x00there" in html
    assert "\x00" not in html


def test_under_after_due_scores_wait_for_the_due_date(
    learner_client: Client, quiz: Quiz, queued: list[int]
) -> None:
    # Regression (review): the API hid the total before the due date, the pages showed it.
    quiz.questions.filter(type="essay").delete()
    quiz.feedback_policy = Quiz.FeedbackPolicy.AFTER_DUE
    quiz.due_at = timezone.now() + timedelta(days=3)
    quiz.save()
    attempt = start(learner_client, quiz)
    learner_client.post(reverse("quizzes:attempt", kwargs={"attempt_id": attempt.pk}),
                        {**full_answers(attempt), "action": "save"})  # fmt: skip
    learner_client.post(reverse("quizzes:confirm", kwargs={"attempt_id": attempt.pk}))
    attempt_grade(attempt_id=attempt.pk)
    result = learner_client.get(
        reverse("quizzes:result", kwargs={"attempt_id": attempt.pk}) + "?fragment=1"
    ).content.decode()
    quiz_page = learner_client.get(
        reverse("quizzes:quiz", kwargs={"quiz_id": quiz.pk})
    ).content.decode()
    assert "data-live-final" in result
    # (Section completion still shows in the part's progress: progress is not feedback.)
    quiz_page = re.sub(
        r'<div class="learner-progress".*?</div>\s*</div>', "", quiz_page, flags=re.S
    )
    for html in (result, quiz_page):
        assert "100%" not in html
        assert "8 of 8" not in html
        assert "8 из 8" not in html

    Quiz.objects.filter(pk=quiz.pk).update(due_at=timezone.now() - timedelta(minutes=1))
    result = learner_client.get(
        reverse("quizzes:result", kwargs={"attempt_id": attempt.pk}) + "?fragment=1"
    ).content.decode()
    assert "100%" in result


@pytest.mark.parametrize(
    ("language", "at_5", "at_1"),
    [("ru", "До конца 5 минут", "До конца 1 минута"), ("en", "5 minutes left", "1 minute left")],
)
def test_the_countdown_announcements_are_whole_sentences_in_the_learners_language(
    learner_client: Client, quiz: Quiz, language: str, at_5: str, at_1: str
) -> None:
    quiz.time_limit = timedelta(minutes=20)
    quiz.save()
    attempt = start(learner_client, quiz)
    html = learner_client.get(
        reverse("quizzes:attempt", kwargs={"attempt_id": attempt.pk}),
        HTTP_ACCEPT_LANGUAGE=language,
    ).content.decode()
    assert f'data-text-at-300="{at_5}"' in html
    assert f'data-text-at-60="{at_1}"' in html


@pytest.mark.parametrize(("points", "total"), [("14", "21 балла"), ("3", "10 баллов")])
def test_the_total_agrees_with_its_number_in_russian(
    learner_client: Client, quiz: Quiz, queued: list[int], points: str, total: str
) -> None:
    quiz.questions.filter(type="essay").delete()
    quiz.questions.filter(type="true_false").update(points=Decimal(points))  # 7 + points
    url = answered_right_and_graded(learner_client, quiz)
    fragment = learner_client.get(url + "?fragment=1", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert f"из {total} (100%)" in fragment


def test_the_answer_limit_is_on_what_the_learner_typed_not_on_its_escapes(
    learner_client: Client, quiz: Quiz
) -> None:
    # Regression (issue 14 review): the page escaped the text before the 64 KB check, and each
    # control character becomes four, so an essay of 20 KB as typed was refused as too long:
    # autosave answered 400 and nothing on the page was saved.
    attempt = start(learner_client, quiz)
    ids = question_ids(quiz)
    autosave = autosave_url(attempt)
    essay = "\x01" * 20_000 + " мои слова"
    form = {f"q{ids['essay']}": essay, f"q{ids['numeric']}": "2,72"}

    response = learner_client.post(autosave, form)

    assert response.status_code == 200, response.content
    saved = Answer.objects.get(attempt=attempt, question_id=ids["essay"]).response
    assert saved == {"text": "\\x01" * 20_000 + " мои слова"}  # whole, kept visible
    assert Answer.objects.get(attempt=attempt, question_id=ids["numeric"]).response == {
        "text": "2,72"
    }
    # Exactly the limit as typed is an answer; a byte more is refused, as on the API.
    at_limit = "\x01" * MAX_RESPONSE_TEXT_BYTES
    assert learner_client.post(autosave, {f"q{ids['essay']}": at_limit}).status_code == 200
    over = learner_client.post(autosave, {f"q{ids['essay']}": at_limit + "x"})
    assert (over.status_code, json.loads(over.content)["code"]) == (400, "invalid_response")


def test_a_huge_paste_is_refused_without_escaping_it(
    learner_client: Client, quiz: Quiz, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Regression (issue 14 review): the whole value was escaped before any check, so a 2 MB
    # paste of NUL characters cost ~1.5 s of CPU on every autosave. It is cut just past the
    # limit first, and refused as too long before any escaping.
    attempt = start(learner_client, quiz)
    ids = question_ids(quiz)
    autosave = autosave_url(attempt)
    checked: list[int] = []
    validate = grading.validate_response

    def measuring(kind: str, spec: Any, response: Any, **kwargs: Any) -> None:
        if kind == "essay":
            checked.append(len(response["text"]))
        validate(kind, spec, response, **kwargs)

    def never(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a text refused as too long was escaped")

    monkeypatch.setattr(grading, "validate_response", measuring)
    monkeypatch.setattr(services, "storable_json", never)

    response = learner_client.post(autosave, {f"q{ids['essay']}": "\x00" * 2_000_000})

    assert (response.status_code, json.loads(response.content)["code"]) == (400, "invalid_response")
    assert checked == [MAX_RESPONSE_TEXT_BYTES + 1]
    assert not Answer.objects.filter(attempt=attempt).exists()


def test_the_quiz_page_leads_back_to_the_attempt_in_progress(
    learner_client: Client, quiz: Quiz
) -> None:
    # The quiz page reads the attempts' read models (issue 21): the link is the view's id.
    attempt = start(learner_client, quiz)
    url = reverse("quizzes:quiz", kwargs={"quiz_id": quiz.pk})

    html = learner_client.get(url).content.decode()

    link = reverse("quizzes:attempt", kwargs={"attempt_id": attempt.pk})
    assert re.search(rf'<a class="button button--primary" href="{link}">', html)
    services.attempt_submit(attempt=attempt)
    after = learner_client.get(url).content.decode()
    assert f'href="{link}">' not in after.split("<table")[0]  # nothing left to continue
