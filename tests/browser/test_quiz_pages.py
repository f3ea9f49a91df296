"""Every question type on the attempt page, in Chromium: labelled, keyboard-usable, axe-clean."""

from __future__ import annotations

from datetime import timedelta

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from quizzes.models import Answer, Attempt
from tests.browser.conftest import Page
from tests.factories import QuestionFactory, QuizFactory, UserFactory
from tests.quizzes.test_pages import SPECS

pytestmark = [pytest.mark.slow, pytest.mark.browser]


def test_attempt_page_with_every_question_type_and_a_time_limit(
    browser: WebDriver, live_server
) -> None:
    quiz = QuizFactory.create(title="Все типы вопросов", time_limit=timedelta(minutes=10))
    for order, (kind, spec) in enumerate(SPECS.items()):
        QuestionFactory.create(quiz=quiz, type=kind, spec=spec, order=order, text=f"Вопрос {kind}")
    # A description (Moodle's): text between questions, nothing to answer, 0 points.
    QuestionFactory.create(
        quiz=quiz, type="description", spec={}, points=0, order=100, text="Дальше — про **каналы**."
    )
    user = UserFactory.create(username="keyboard")
    user.set_password("пароль-для-входа-2026")
    user.save()
    page = Page(browser, live_server.url, "quiz-types")
    driver = browser
    driver.delete_all_cookies()

    page.open(f"/accounts/login/?next=/quizzes/{quiz.pk}/")
    page.check("log in")
    driver.find_element(By.ID, "id_username").send_keys("keyboard")
    driver.find_element(By.ID, "id_password").send_keys("пароль-для-входа-2026", Keys.ENTER)
    # (Not url_contains: the login page's "?next=" holds that address, so it returned at once.)
    WebDriverWait(driver, 30).until(ec.url_to_be(f"{live_server.url}/quizzes/{quiz.pk}/"))
    page.check("quiz with a time limit")
    driver.find_element(By.CSS_SELECTOR, f'form[action="/quizzes/{quiz.pk}/start/"] button').click()
    WebDriverWait(driver, 30).until(ec.url_contains("/attempts/"))
    attempt = Attempt.objects.get(quiz=quiz)

    # The countdown runs on the page ("09:59"), from the server's deadline.
    timer = driver.find_element(By.ID, "timer")
    WebDriverWait(driver, 10).until(lambda _d: timer.text.startswith("09:"))
    page.check("attempt with every question type")

    # Keyboard only: focus the short-text input, type, and the answer saves itself.
    short = next(q for q in quiz.questions.all() if q.type == "short_text")
    field = driver.find_element(By.ID, f"q{short.pk}-input")
    field.send_keys("ответ с клавиатуры", Keys.TAB)
    WebDriverWait(driver, 30).until(
        lambda _d: Answer.objects.filter(attempt=attempt, question=short).exists()
    )
    saved = Answer.objects.get(attempt=attempt, question=short)
    assert saved.response == {"text": "ответ с клавиатуры"}
    status = driver.find_element(By.ID, "save-status")
    WebDriverWait(driver, 10).until(lambda _d: status.text != "")
    assert status.get_attribute("aria-live") == "polite"
    description = driver.find_element(By.CSS_SELECTOR, ".question--description")
    assert "только текст, без оценки" in description.text  # (the page is in Russian)
    assert description.find_elements(By.CSS_SELECTOR, "input, select, textarea") == []
