"""The question editor in Chromium: add a multiple-choice question to a quiz, see a refusal
named, save it, preview it as a learner sees it and try an answer, which records nothing.
Every page axe-clean; no JavaScript needed for any step."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import Select

from quizzes.models import Answer, Attempt, Question
from tests.browser.test_instructor_journey import instructor_page
from tests.factories import QuizFactory, SectionFactory

pytestmark = [pytest.mark.slow, pytest.mark.browser]


def test_create_a_question_preview_it_and_try_an_answer(browser: WebDriver, live_server) -> None:
    section = SectionFactory.create(number="4.2", title="Каналы", status="published")
    course = section.part.course
    quiz = QuizFactory.create(section=section, title="Каналы в Go")
    page = instructor_page(browser, live_server, course, "teacher5", "question-editor")
    driver = browser
    page.check("teaching home")
    driver.find_element(
        By.CSS_SELECTOR, f'a[href="/teach/{course.slug}/quizzes/{quiz.pk}/questions/"]'
    ).click()
    page.check("the quiz's questions")
    Select(driver.find_element(By.ID, "new-type")).select_by_value("multiple_choice")
    driver.find_element(By.CSS_SELECTOR, "#add + form button[type=submit]").click()
    page.check("a new multiple-choice question")

    driver.find_element(By.ID, "id_title").send_keys("Свойства каналов")
    driver.find_element(By.ID, "id_text").send_keys("Что верно о каналах Go?")
    points = driver.find_element(By.ID, "id_points")
    points.clear()
    points.send_keys("2")
    for row, (text, weight) in enumerate(
        [("Канал можно закрыть", "50"), ("Из nil-канала читается ноль", "-50"),
         ("Небуферизованный канал синхронизирует", "70")]
    ):  # fmt: skip
        driver.find_element(By.ID, f"id_spec-choices-{row}-text").send_keys(text)
        driver.find_element(By.ID, f"id_spec-choices-{row}-weight").send_keys(weight)
    driver.find_element(By.CSS_SELECTOR, "button[value=save]").click()
    page.check("a refused save")
    assert "сумма положительных весов должна быть 100" in driver.page_source
    assert driver.find_element(By.ID, "id_title").get_attribute("value") == "Свойства каналов"

    third = driver.find_element(By.ID, "id_spec-choices-2-weight")
    third.clear()
    third.send_keys("50")
    driver.find_element(By.CSS_SELECTOR, "button[value=add-choices]").click()
    page.check("more rows")
    assert driver.find_elements(By.ID, "id_spec-choices-5-text")
    driver.find_element(By.CSS_SELECTOR, "button[value=save]").click()
    page.check("saved, with its preview")
    question = Question.objects.get(title="Свойства каналов")
    assert [c["id"] for c in question.spec["choices"]] == ["a", "b", "c"]

    preview = driver.find_element(By.ID, f"question-{question.pk}")
    for text in ("Канал можно закрыть", "Небуферизованный канал синхронизирует"):
        preview.find_element(By.XPATH, f".//label[normalize-space()='{text}']").click()
    driver.find_element(By.CSS_SELECTOR, ".question-preview button[type=submit]").click()
    page.check("tried an answer")
    result = driver.find_element(By.ID, "try-result")
    assert "Баллы: 2,00 из 2,00 — верно" in result.text, result.text
    assert not Attempt.objects.exists()
    assert not Answer.objects.exists()

    # the widest editor: gaps and their answers, axe-clean too
    page.open(f"/teach/{course.slug}/quizzes/{quiz.pk}/questions/new/?type=fill_blanks")
    page.check("a new fill-in-the-blanks question")
    assert driver.find_elements(By.ID, "id_spec-gap_answers-0-value")
