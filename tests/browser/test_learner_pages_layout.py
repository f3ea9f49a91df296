"""The learner's pages of issue 22 in Chromium, at 1280 px and on a phone (360 px): the
header on one line / two tidy lines without overflow, the course page with the learner's
progress apart from the authoring status and a reopen notice, a quiz result with its gap
filled in place, and the password reset pages; every one axe-clean, in Russian and English."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.core.management import call_command
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from courses.models import Section
from progress.services import section_mark_read, sections_refresh
from quizzes import services as quiz_services
from quizzes.authoring import quiz_save
from quizzes.models import Attempt, Quiz
from quizzes.services import attempt_grade, attempt_save_answers, attempt_start, attempt_submit
from tests.browser.conftest import Page
from tests.factories import QuestionFactory, QuizFactory, UserFactory

pytestmark = [pytest.mark.slow, pytest.mark.browser]

PASSWORD = "пароль-ученика-2026"

# The header's layout, measured in the page: its items' rows, its height, and whether
# anything sticks out sideways.
HEADER_METRICS = """
const inner = document.querySelector('.site-header__inner');
const header = document.querySelector('.site-header');
// Items on one line overlap vertically (they are centred, so their tops differ a little).
const rects = [...inner.children]
  .filter(e => getComputedStyle(e).position !== 'absolute')
  .map(e => e.getBoundingClientRect())
  .sort((a, b) => a.top - b.top);
let rows = 0, bottom = -Infinity;
for (const r of rects) {
  if (r.top >= bottom - 1) { rows += 1; bottom = r.bottom; }
  else { bottom = Math.max(bottom, r.bottom); }
}
return {
  rows: rows,
  height: header.getBoundingClientRect().height,
  pageOverflow: document.documentElement.scrollWidth - window.innerWidth,
  headerOverflow: inner.scrollWidth - inner.clientWidth,
  width: window.innerWidth,
};
"""


@pytest.fixture
def phone(browser: WebDriver) -> Iterator[Any]:
    """Switches the shared browser to a 360 px phone and back."""

    def on() -> None:
        browser.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",
            {"width": 360, "height": 740, "deviceScaleFactor": 1, "mobile": True},
        )

    try:
        yield on
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def header(driver: WebDriver) -> dict[str, Any]:
    metrics: dict[str, Any] = driver.execute_script(HEADER_METRICS)
    return metrics


def assert_header_fits(driver: WebDriver, *, width: int, rows: int, label: str) -> None:
    metrics = header(driver)
    assert metrics["width"] == width, metrics
    assert metrics["pageOverflow"] <= 0, (label, metrics)
    assert metrics["headerOverflow"] <= 0, (label, metrics)
    assert metrics["rows"] <= rows, (label, metrics)
    assert metrics["height"] <= 60 * rows, (label, metrics)


def reopened_section_and_graded_gap_quiz(learner: Any) -> tuple[Section, Attempt]:
    call_command("load_demo", "--no-exercises", verbosity=0)
    section = Section.objects.get(number="4.3", part__course__slug="go-for-csharp")
    Quiz.objects.filter(section=section).delete()
    section_mark_read(learner=learner, section=section)  # no items: complete
    quiz_save(quiz=QuizFactory.build(section=section, title="Очереди: новый тест"))
    QuestionFactory.create(quiz=Quiz.objects.get(section=section))
    sections_refresh(section_ids=[section.pk])  # (what the queued task does)
    quiz = Quiz.objects.get(section__number="4.2", section__part__course__slug="go-for-csharp")
    gap = quiz.questions.get(type="fill_blanks")
    right = {
        g["id"]: next(c["id"] for c in g["choices"] if Decimal(c["weight"]) == 100)
        for g in gap.spec["gaps"]
    }
    attempt = attempt_start(learner=learner, quiz=quiz)
    attempt_save_answers(attempt=attempt, responses={gap.pk: {"gaps": right}})
    attempt_submit(attempt=attempt)
    attempt_grade(attempt_id=attempt.pk)
    return section, attempt


def test_learner_pages_fit_at_1280_and_360_px_and_are_axe_clean(
    browser: WebDriver, live_server, phone, monkeypatch
) -> None:
    monkeypatch.setattr(quiz_services, "attempt_queue_grading", lambda *, attempt_id: True)
    learner = UserFactory.create(username="ученица-с-длинным-именем", email="l@example.org")
    learner.set_password(PASSWORD)
    learner.save()
    section, attempt = reopened_section_and_graded_gap_quiz(learner)
    page = Page(browser, live_server.url, "learner-pages-layout")
    driver = browser
    driver.delete_all_cookies()

    # Anonymous: the login page links to the reset, which is axe-clean.
    page.open("/accounts/login/")
    assert_header_fits(driver, width=1280, rows=1, label="login")
    page.check("login")
    driver.find_element(By.PARTIAL_LINK_TEXT, "Забыли пароль?").click()
    WebDriverWait(driver, 30).until(ec.url_contains("/accounts/password-reset/"))
    page.check("password reset form")
    driver.find_element(By.ID, "id_email").send_keys("l@example.org", Keys.ENTER)
    WebDriverWait(driver, 30).until(ec.url_contains("/accounts/password-reset/sent/"))
    page.check("password reset sent")

    page.open("/accounts/login/")
    driver.find_element(By.ID, "id_username").send_keys(learner.username)
    driver.find_element(By.ID, "id_password").send_keys(PASSWORD, Keys.ENTER)
    WebDriverWait(driver, 30).until(ec.url_changes(live_server.url + "/accounts/login/"))

    course_url = section.part.course.get_absolute_url()
    result_url = f"/attempts/{attempt.pk}/result/"
    pages = [
        ("course", course_url),
        ("section", section.get_absolute_url()),
        ("result", result_url),
    ]
    for language in ("ru", "en"):
        if language == "en":
            driver.find_element(By.CSS_SELECTOR, 'button[name="language"][value="en"]').click()
            WebDriverWait(driver, 30).until(
                lambda d: d.execute_script("return document.documentElement.lang") == "en"
            )
        for name, url in pages:
            page.open(url)
            page.check(f"{name} {language} 1280")
            assert_header_fits(driver, width=1280, rows=1, label=f"{name} {language} 1280")
    phone()
    for language in ("en", "ru"):
        if language == "ru":
            driver.find_element(By.CSS_SELECTOR, 'button[name="language"][value="ru"]').click()
            WebDriverWait(driver, 30).until(
                lambda d: d.execute_script("return document.documentElement.lang") == "ru"
            )
        for name, url in pages:
            page.open(url)
            page.check(f"{name} {language} 360")
            assert_header_fits(driver, width=360, rows=2, label=f"{name} {language} 360")

    # What the pages said (Russian, the phone: the last one opened is the result).
    html = driver.page_source
    assert "{{" not in html
    assert driver.find_elements(By.CSS_SELECTOR, ".gap-answer code")
    page.open(course_url)
    text = driver.find_element(By.TAG_NAME, "main").text
    assert "Ваш прогресс" in text
    assert "Статус курса" in text
    assert "Раздел снова открыт: добавлен новый тест «Очереди: новый тест»." in text
    continue_link = driver.find_element(By.CSS_SELECTOR, '[data-testid="continue-link"]')
    assert str(continue_link.get_attribute("href")).endswith("/sections/4.1/")
