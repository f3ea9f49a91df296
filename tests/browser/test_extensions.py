"""In Chromium: an instructor grants a learner an extension on the teaching page, and the
learner sees their new due date on the quiz page (in their own time zone); both axe-clean."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import Select, WebDriverWait

from deadlines.models import Extension
from progress.services import enrollment_create
from tests.browser.conftest import Page
from tests.factories import QuestionFactory, QuizFactory, UserFactory

pytestmark = [pytest.mark.slow, pytest.mark.browser]

PASSWORD = "пароль-для-входа-2026"


def log_in(driver: WebDriver, page: Page, base: str, username: str, next_path: str) -> None:
    driver.delete_all_cookies()
    page.open(f"/accounts/login/?next={next_path}")
    driver.find_element(By.ID, "id_username").send_keys(username)
    driver.find_element(By.ID, "id_password").send_keys(PASSWORD, Keys.ENTER)
    WebDriverWait(driver, 30).until(ec.url_to_be(f"{base}{next_path}"))


def test_the_instructor_grants_an_extension_and_the_learner_sees_the_new_date(
    browser: WebDriver, live_server
) -> None:
    quiz = QuizFactory.create(
        title="Каналы", due_at=timezone.now() + timedelta(days=1), late_policy="per_day",
        late_percent=10,
    )  # fmt: skip
    QuestionFactory.create(quiz=quiz)
    course = quiz.section.part.course
    teacher, learner = UserFactory.create(username="teacher"), UserFactory.create(username="anya")
    for user in (teacher, learner):
        user.set_password(PASSWORD)
        user.save()
    course.instructors.add(teacher)
    enrollment_create(learner=learner, course=course)
    page = Page(browser, live_server.url, "extensions")
    driver = browser

    extensions = f"/teach/{course.slug}/extensions/"
    log_in(driver, page, live_server.url, "teacher", extensions)
    page.check("extensions page")
    Select(driver.find_element(By.ID, "id_learner")).select_by_visible_text("anya")
    Select(driver.find_element(By.ID, "id_item")).select_by_value(f"quiz:{quiz.pk}")
    due = driver.find_element(By.ID, "id_due_at")
    # (a datetime-local field takes keys in the browser's locale order: set its value as typed)
    driver.execute_script("arguments[0].value = '2031-05-02T10:00'", due)
    driver.find_element(By.ID, "id_reason").send_keys("справка от врача")
    driver.find_element(By.CSS_SELECTOR, ".extension-form button[type=submit]").click()
    WebDriverWait(driver, 30).until(lambda d: "справка от врача" in d.page_source)
    page.check("extension granted")
    grant = Extension.objects.get()
    assert (grant.learner, grant.quiz, grant.granted_by) == (learner, quiz, teacher)

    log_in(driver, page, live_server.url, "anya", f"/quizzes/{quiz.pk}/")
    due_at = driver.find_element(By.CSS_SELECTOR, "[data-testid=due-at]")
    shown = due_at.find_element(By.TAG_NAME, "time")
    assert shown.get_attribute("datetime") == "2031-05-02T10:00:00+03:00"  # the site's zone
    # Rewritten by the browser into its own time zone, which it names.
    assert "2031" in shown.text
    assert shown.text != "2 мая 2031 г. 10:00"  # (the server's text)
    browser_zone = driver.execute_script(
        "return new Intl.DateTimeFormat().resolvedOptions().timeZone"
    )
    assert browser_zone
    assert "продлён для вас" in due_at.text
    dates = driver.find_element(By.CSS_SELECTOR, "[data-testid=item-dates]").text
    assert "сдача после срока: −10% в день" in dates
    assert "справка от врача" in dates
    page.check("learner sees the extension")
