"""The staff page of queues, workers and waiting work (/ops/), and a queued submission's place
in the queue, in Chromium: axe-clean."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from grader.models import Submission
from quizzes.models import Attempt
from tests.browser.conftest import Page
from tests.factories import QuizFactory, UserFactory, exercise_stored

pytestmark = [pytest.mark.slow, pytest.mark.browser]
PASSWORD = "пароль-для-входа-2026"


def log_in(page: Page, driver: WebDriver, username: str, then: str) -> None:
    page.open(f"/accounts/login/?next={then}")
    driver.find_element(By.ID, "id_username").send_keys(username)
    driver.find_element(By.ID, "id_password").send_keys(PASSWORD, Keys.ENTER)
    WebDriverWait(driver, 30).until(ec.url_to_be(f"{page.base_url}{then}"))


def test_ops_page_and_a_place_in_the_queue(browser: WebDriver, live_server) -> None:
    now = timezone.now()
    quiz = QuizFactory.create()
    exercise = exercise_stored(
        section=quiz.section, slug="sum", title="Sum", language="python", is_published=True,
        starter_files={"solution.py": "x = 1\n"}, test_files={"test_solution.py": "pass\n"},
        reference_files={"solution.py": "x = 2\n"},
    )  # fmt: skip
    learner = UserFactory.create(username="waiting-learner")
    staff = UserFactory.create(username="operator", is_staff=True)
    for user in (learner, staff):
        user.set_password(PASSWORD)
        user.save()
    Attempt.objects.create(
        learner=learner, quiz=quiz, number=1, seed=1, started_at=now, status="submitted",
        submitted_at=now - timedelta(seconds=42),
    )  # fmt: skip
    Submission.objects.create(learner=staff, exercise=exercise, files={}, status="queued")
    mine = Submission.objects.create(learner=learner, exercise=exercise, files={"solution.py": ""})
    page = Page(browser, live_server.url, "ops")
    driver = browser

    driver.delete_all_cookies()
    log_in(page, driver, "operator", "/ops/")
    waiting = driver.find_element(By.CSS_SELECTOR, '[data-testid="waiting"]').text
    assert "1" in waiting
    page.check("queues, workers and waiting work")

    driver.delete_all_cookies()
    log_in(page, driver, "waiting-learner", f"/submissions/{mine.pk}/")
    place = driver.find_element(By.CSS_SELECTOR, '[data-testid="queue-place"]').text
    assert ": 2;" in place  # one submission ahead of it
    page.check("a submission waiting in the queue")
