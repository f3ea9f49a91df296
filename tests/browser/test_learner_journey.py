"""A learner's first hour, in real headless Chromium against a live server and a real worker.

Sign up, enrol, take a quiz and watch the result arrive without reloading,
submit a Go solution that fails and then one that passes, and see the part go
from "0% (0 из 7 разделов)" to "14% (1 из 7 разделов)". Every page visited is
checked with axe-core (no serious or critical violations) and photographed.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from courses.models import Section
from grader.models import CodingExercise
from grader.services import exercise_import
from quizzes.models import Answer, Attempt, Quiz
from tests.browser.conftest import Page
from tests.conftest import REPO_DIR, celery_worker
from tests.factories import QuestionFactory

pytestmark = [pytest.mark.slow, pytest.mark.services, pytest.mark.browser]

EXERCISE = REPO_DIR / "demo" / "exercises" / "4.1-retry-backoff"
NOT_RELOADED = "return window.__stillTheSamePage === true"


def demo_part_with_one_quiz_and_one_exercise(go_cache: Path) -> tuple[Quiz, CodingExercise]:
    """The demo course (7 sections in Part 4); section 4.1 holds a short quiz and a Go exercise."""
    call_command("load_demo", "--no-exercises", verbosity=0)
    section = Section.objects.get(number="4.1", part__course__slug="go-for-csharp")
    quiz = Quiz.objects.filter(section=section).first()
    assert quiz is not None
    quiz.questions.all().delete()  # two questions are enough to drive the page
    QuestionFactory.create(
        quiz=quiz, type="single_choice", text="Что возвращает `pgxpool.New`?", points=1, order=1,
        spec={"choices": [{"id": "a", "text": "*sql.DB", "weight": 0},
                          {"id": "b", "text": "*pgxpool.Pool", "weight": 100}]},
    )  # fmt: skip
    QuestionFactory.create(
        quiz=quiz, type="true_false", text="Пул соединений безопасен для горутин.", points=1,
        order=2, spec={"answer": True},
    )  # fmt: skip
    Quiz.objects.filter(section__part=section.part).exclude(pk=quiz.pk).update(pass_score=100)
    imported = exercise_import(path=EXERCISE, section=section)
    assert imported.check.ok, imported.check.report
    return quiz, imported.exercise


def wait(driver: WebDriver, seconds: float = 30) -> WebDriverWait[WebDriver]:
    # Live regions replace their content while we look: an element found a moment
    # ago may be gone (stale); look again rather than fail.
    return WebDriverWait(
        driver,
        seconds,
        poll_frequency=0.1,
        ignored_exceptions=(NoSuchElementException, StaleElementReferenceException),
    )


def progress_text(driver: WebDriver) -> str:
    """The part progress figures; the block may be re-rendered while read (a result arrived)."""
    for _ in range(20):
        try:
            return driver.find_element(By.CSS_SELECTOR, "[data-testid=part-progress]").text
        except StaleElementReferenceException:
            continue
    raise AssertionError("the progress block kept changing")


def mark_page(driver: WebDriver) -> None:
    """A flag that lives as long as this document: gone if the page is reloaded."""
    driver.execute_script("window.__stillTheSamePage = true")


def submit_code(page: Page, exercise: CodingExercise, code: str) -> None:
    page.open(f"/exercises/{exercise.pk}/")
    editor = page.driver.find_element(By.CSS_SELECTOR, "textarea.editor__code")
    page.driver.execute_script(
        "arguments[0].value = arguments[1];"
        "arguments[0].dispatchEvent(new Event('input', {bubbles: true}));",
        editor,
        code,
    )
    page.driver.find_element(By.CSS_SELECTOR, "form.editor button[type=submit]").click()
    wait(page.driver).until(ec.url_contains("/submissions/"))


def test_learner_signs_up_takes_a_quiz_solves_an_exercise_and_completes_a_section(
    browser: WebDriver, live_server, live_worker_env, go_cache, monkeypatch
) -> None:
    monkeypatch.setattr(settings, "GRADER_GO_CACHE", go_cache)  # the import check, in this process
    quiz, exercise = demo_part_with_one_quiz_and_one_exercise(go_cache)
    page = Page(browser, live_server.url, "learner-journey")
    driver = browser
    driver.delete_all_cookies()

    # Home page, then sign up.
    page.open("/")
    page.check("home")
    page.open("/accounts/signup/")
    page.check("sign up")
    driver.find_element(By.ID, "id_username").send_keys("маша")
    driver.find_element(By.ID, "id_password1").send_keys("очень-длинный-пароль-2026")
    driver.find_element(By.ID, "id_password2").send_keys("очень-длинный-пароль-2026")
    driver.find_element(By.CSS_SELECTOR, "form.form button[type=submit]").click()
    wait(driver).until(ec.url_contains("/dashboard/"))
    page.check("dashboard before enrolling")

    # Enrol: the course shows up on the dashboard at 0%.
    page.open("/courses/go-for-csharp/")
    driver.find_element(By.CSS_SELECTOR, ".enrolment button[type=submit]").click()
    wait(driver).until(ec.presence_of_element_located((By.CSS_SELECTOR, ".messages")))
    page.check("course after enrolling")
    page.open("/courses/go-for-csharp/parts/4/")
    assert progress_text(driver) == "0% (0 из 7 разделов)"
    page.check("part at 0 percent")

    # The section lists its quiz and exercise; take the quiz.
    page.open("/courses/go-for-csharp/parts/4/sections/4.1/")
    page.check("section")
    driver.find_element(By.CSS_SELECTOR, f'a[href="/quizzes/{quiz.pk}/"]').click()
    page.check("quiz")
    driver.find_element(By.CSS_SELECTOR, f'form[action="/quizzes/{quiz.pk}/start/"] button').click()
    wait(driver).until(ec.url_contains("/attempts/"))
    attempt = Attempt.objects.get(quiz=quiz)
    _single, true_false = quiz.questions.order_by("order")
    # Choice ids on the page are opaque: pick the answer by its label, as a person does.
    driver.find_element(By.XPATH, "//label[normalize-space()='*pgxpool.Pool']").click()
    driver.find_element(By.ID, f"q{true_false.pk}-true").click()
    # Autosave: the answers reach the server without any button pressed.
    wait(driver).until(lambda _d: Answer.objects.filter(attempt=attempt).count() == 2)
    page.check("attempt with answers saved")
    driver.find_element(By.CSS_SELECTOR, "button[value=review]").click()
    wait(driver).until(ec.url_contains("/submit/"))
    page.check("confirm submission")
    driver.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
    wait(driver).until(ec.url_contains("/result/"))

    # No worker yet: the page says it is grading. Start one; the result arrives in place.
    assert (
        driver.find_element(By.CSS_SELECTOR, "#result .result").get_attribute("data-status")
        == "submitted"
    )
    page.screenshot("quiz result pending")
    mark_page(driver)
    with celery_worker({**live_worker_env, "GRADER_GO_CACHE": str(go_cache)}):
        wait(driver, 90).until(
            ec.presence_of_element_located((By.CSS_SELECTOR, "#result [data-live-final]"))
        )
        assert driver.execute_script(NOT_RELOADED)
        score = driver.find_element(By.CSS_SELECTOR, "[data-testid=quiz-score]").text
        assert "2 из 2" in score or "2 of 2" in score, score
        page.check("quiz result")
        assert progress_text(driver) == "0% (0 из 7 разделов)"  # the exercise is still to do

        # A failing Go solution (the starter), then the passing one.
        submit_code(page, exercise, exercise.starter_files[next(iter(exercise.starter_files))])
        mark_page(driver)
        wait(driver, 120).until(
            ec.presence_of_element_located((By.CSS_SELECTOR, "[data-live-final] .verdict--failed"))
        )
        assert driver.execute_script(NOT_RELOADED)
        page.check("failing submission")
        assert progress_text(driver) == "0% (0 из 7 разделов)"

        submit_code(page, exercise, exercise.reference_files[next(iter(exercise.reference_files))])
        mark_page(driver)
        wait(driver, 120).until(
            ec.presence_of_element_located((By.CSS_SELECTOR, "[data-live-final] .verdict--passed"))
        )
        # The part's progress moves on the same page, without a reload.
        wait(driver).until(lambda d: progress_text(d) == "14% (1 из 7 разделов)")
        assert driver.execute_script(NOT_RELOADED)
        page.check("passing submission and part at 14 percent")

    page.open("/courses/go-for-csharp/parts/4/")
    assert progress_text(driver) == "14% (1 из 7 разделов)"
    page.open("/dashboard/")
    assert "14% (1 из 7 разделов)" in driver.find_element(By.TAG_NAME, "main").text
    page.check("dashboard at 14 percent")

    # The same page in English: the switcher keeps the learner where they are.
    page.open("/courses/go-for-csharp/parts/4/")
    driver.find_element(By.CSS_SELECTOR, ".language-switcher button[value=en]").click()
    wait(driver).until(lambda d: progress_text(d) == "14% (1 of 7 sections)")
    page.check("part in english")
    assert exercise.submissions.filter(verdict="passed").exists()
    assert Decimal(Attempt.objects.get(pk=attempt.pk).percent or 0) == Decimal(100)
