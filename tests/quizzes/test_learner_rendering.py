"""What a learner reads on the quiz pages (issue 22, item 5): gaps in place in the attempt and
the result, Markdown in choices rendered (plain text in drop-downs), true / false in the
reader's language, no internal ids or doubled titles, and an essay's wait said as such."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from quizzes.models import Attempt, Quiz
from quizzes.presentation import (
    blank_segments,
    learner_title,
    option_html,
    option_text,
    quiz_title_for_learners,
)
from quizzes.selectors import attempt_questions
from quizzes.services import attempt_grade
from tests.factories import PartFactory, QuestionFactory, QuizFactory, SectionFactory, UserFactory

pytestmark = pytest.mark.django_db

GAPS = {
    "text": "Когда истекает ключ, тип {{1}} объединяет одновременные вызовы.",
    "gaps": [
        {
            "id": "1",
            "kind": "choice",
            "choices": [
                {"id": "a", "text": "`singleflight.Group`", "weight": 100},
                {"id": "b", "text": "`sync.Mutex`", "weight": 0},
            ],
        }
    ],
}


@pytest.fixture
def quiz() -> Quiz:
    """Section 4.2's quiz as the demo import names it, with the demo's rendering traps."""
    section = SectionFactory.create(
        part=PartFactory.create(number=4), number="4.2", title="Кэширование"
    )
    quiz = QuizFactory.create(section=section, title="4.2 Кэширование", pass_score=50)
    QuestionFactory.create(
        quiz=quiz, order=1, type="fill_blanks", text_format="markdown",
        title="4.2-5 Защита от stampede", text=GAPS["text"], spec=GAPS,
    )  # fmt: skip
    QuestionFactory.create(
        quiz=quiz, order=2, type="true_false", title="4.2-3 Доставка Redis Pub/Sub",
        text="Pub/Sub хранит сообщения.", spec={"answer": False},
    )  # fmt: skip
    QuestionFactory.create(
        quiz=quiz, order=3, type="single_choice", text_format="markdown", title="4.2-1",
        text="С чем сравнивают ошибку?",
        spec={"choices": [{"id": "a", "text": "`redis.Nil`", "weight": 100},
                          {"id": "b", "text": "**nil**", "weight": 0}]},
    )  # fmt: skip
    return quiz


def answer_and_grade(client: Client, quiz: Quiz) -> Attempt:
    client.post(reverse("quizzes:start", kwargs={"quiz_id": quiz.pk}))
    attempt = Attempt.objects.get(quiz=quiz)
    items = {item.question.type: item for item in attempt_questions(attempt=attempt)}
    ids = {kind: item.question.pk for kind, item in items.items()}
    form = {
        f"q{ids['fill_blanks']}-1": items["fill_blanks"].response_to_shown({"gaps": {"1": "a"}})[
            "gaps"
        ]["1"],
        f"q{ids['true_false']}": "false",
        f"q{ids['single_choice']}": items["single_choice"].response_to_shown({"choice": "a"})[
            "choice"
        ],
        "action": "save",
    }
    client.post(reverse("quizzes:attempt", kwargs={"attempt_id": attempt.pk}), form)
    client.post(reverse("quizzes:confirm", kwargs={"attempt_id": attempt.pk}))
    attempt_grade(attempt_id=attempt.pk)
    attempt.refresh_from_db()
    return attempt


def test_the_attempt_page_renders_gaps_in_place_and_markdown_in_options(
    client: Client, quiz: Quiz
) -> None:
    client.force_login(UserFactory.create())
    client.post(reverse("quizzes:start", kwargs={"quiz_id": quiz.pk}))
    attempt = Attempt.objects.get(quiz=quiz)

    html = client.get(reverse("quizzes:attempt", kwargs={"attempt_id": attempt.pk})).content
    page = html.decode()

    assert "{{1}}" not in page
    assert "`" not in page  # no Markdown source shown, in labels or drop-downs
    # The drop-down sits inside the sentence, its options as plain text.
    assert re.search(r"тип <select [^>]*>.*?</select> объединяет", page, re.S)
    assert re.search(r"<option value=\"\w+\">singleflight\.Group</option>", page)
    assert "<code>redis.Nil</code>" in page
    assert "<strong>nil</strong>" in page
    # The author's ids are not the learner's business; the section's number is not repeated.
    for internal_id in ("4.2-5", "4.2-3", "4.2-1"):
        assert internal_id not in page
    assert "Защита от stampede" in page
    assert page.count("4.2 Кэширование") == 1  # the section's breadcrumb, not the quiz's too
    assert "Тест по разделу «Кэширование»" in page


def test_the_result_shows_the_answer_in_its_gap_and_true_false_in_russian(
    client: Client, quiz: Quiz
) -> None:
    client.force_login(UserFactory.create())
    attempt = answer_and_grade(client, quiz)
    assert attempt.score == Decimal(3)

    page = client.get(reverse("quizzes:result", kwargs={"attempt_id": attempt.pk})).content
    html = page.decode()

    assert "{{1}}" not in html
    assert "`" not in html
    assert re.search(
        r"тип <mark class=\"gap-answer\"><span class=\"visually-hidden\"[^>]*>ваш ответ: </span>"
        r"<code>singleflight\.Group</code></mark> объединяет",
        html,
    ), html
    assert re.search(r"Ваш ответ:</strong> <span[^>]*>Неверно</span>", html)
    assert 'Ваш ответ:</strong> <span lang="ru">false' not in html
    assert re.search(r"Ваш ответ:</strong> <span[^>]*><code>redis\.Nil</code></span>", html)


def test_true_false_follows_the_interface_language(client: Client, quiz: Quiz) -> None:
    client.force_login(UserFactory.create())
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    attempt = answer_and_grade(client, quiz)

    html = client.get(reverse("quizzes:result", kwargs={"attempt_id": attempt.pk})).content
    assert re.search(r"Your answer:</strong> <span[^>]*>False</span>", html.decode())
    assert "Quiz on «Кэширование»" in html.decode()


def test_an_essay_waiting_for_a_person_shows_the_points_so_far_not_not_passed(
    client: Client, quiz: Quiz
) -> None:
    QuestionFactory.create(quiz=quiz, order=4, type="essay", text="Объясните.", spec={},
                           points=Decimal(2))  # fmt: skip
    learner = UserFactory.create()
    client.force_login(learner)
    client.post(reverse("quizzes:start", kwargs={"quiz_id": quiz.pk}))
    attempt = Attempt.objects.get(quiz=quiz)
    essay = next(q for q in quiz.questions.all() if q.type == "essay")
    client.post(
        reverse("quizzes:attempt", kwargs={"attempt_id": attempt.pk}),
        {f"q{essay.pk}": "Каналы передают значения.", "action": "save"},
    )
    client.post(reverse("quizzes:confirm", kwargs={"attempt_id": attempt.pk}))
    attempt_grade(attempt_id=attempt.pk)
    attempt.refresh_from_db()
    assert attempt.awaiting_manual_grading

    result = client.get(reverse("quizzes:result", kwargs={"attempt_id": attempt.pk}))
    html = result.content.decode()
    assert "Ждёт оценки преподавателя" in html
    assert "пока оценено: 0 из 3 баллов" in html
    assert "1 ответ (2 балла) ждёт преподавателя." in html
    assert "Не пройден" not in html
    quiz_page = client.get(reverse("quizzes:quiz", kwargs={"quiz_id": quiz.pk})).content.decode()
    assert 'data-testid="awaiting-grade"' in quiz_page
    assert "Вы ещё не прошли этот тест." not in quiz_page
    assert "ждёт оценки преподавателя" in quiz_page


@pytest.mark.parametrize(
    ("title", "shown"),
    [
        ("4.2-1 Промах кэша в go-redis", "Промах кэша в go-redis"),
        ("4.1-10 Порядок Expand/Contract", "Порядок Expand/Contract"),
        ("4.2-1", ""),
        ("Промах кэша", "Промах кэша"),
        ("HTTP 2.0 и gRPC", "HTTP 2.0 и gRPC"),
        ("", ""),
    ],
)
def test_learner_title_drops_the_internal_id_only(title: str, shown: str) -> None:
    assert learner_title(title) == shown


def test_a_quiz_named_after_its_section_is_not_doubled() -> None:
    assert (
        quiz_title_for_learners("4.2 Итоговый тест", section_number="4.2", section_title="Кэш")
        == "Итоговый тест"
    )
    assert quiz_title_for_learners("Redis", section_number="4.2", section_title="Кэш") == "Redis"
    assert quiz_title_for_learners("4.20 Тест", section_number="4.2", section_title="Кэш") == (
        "4.20 Тест"
    )


def test_options_render_inline_markdown_sanitised() -> None:
    assert option_html("`a<b`", "markdown") == "<code>a&lt;b</code>"
    assert option_html("<script>x</script>**b**", "markdown") == "<strong>b</strong>"
    assert option_html("<img src=x onerror=alert(1)>", "html") == '<img src="x">'
    assert option_html("`code`", "plain") == "`code`"
    assert option_text("`singleflight.Group` & *x*", "markdown") == "singleflight.Group & x"


def test_blank_segments_keep_a_gap_inside_its_markup() -> None:
    gaps = [{"id": "1", "kind": "text"}]
    pieces = blank_segments("**Тип {{1}}** и {{9}}", gaps, "markdown")
    assert pieces == [
        ("html", "<p><strong>Тип "),
        ("gap", gaps[0]),
        ("html", "</strong> и {{9}}</p>\n"),
    ]
