"""In Chromium: a learner's submission in exam mode says "submitted" only; the instructor
releases the results on the teaching page; the learner then sees the score. Each page
axe-clean (issue 23, item 4)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from courses.services import section_schedule_set
from deadlines.models import ResultsRelease
from grader.models import CodingExercise, Submission
from progress.services import enrollment_create
from tests.browser.conftest import Page
from tests.browser.test_extensions import PASSWORD, log_in
from tests.factories import SectionFactory, UserFactory, exercise_stored

pytestmark = [pytest.mark.slow, pytest.mark.browser]


def test_the_instructor_releases_held_results_and_the_learner_sees_them(
    browser: WebDriver, live_server
) -> None:
    section = SectionFactory.create()
    course = section.part.course
    exercise = exercise_stored(
        section=section, slug="sum", title="Сумма", statement="Сложите.", language="python",
        starter_files={"solution.py": "def add(a, b):\n    return 0\n"},
        test_files={"test_solution.py": "# hidden\n"},
        reference_files={"solution.py": "def add(a, b):\n    return a + b\n"},
        is_published=True, check_status=CodingExercise.CheckStatus.OK,
    )  # fmt: skip
    section_schedule_set(section=section, values={"results_policy": "on_release"})
    teacher, learner = UserFactory.create(username="teacher"), UserFactory.create(username="anya")
    for user in (teacher, learner):
        user.set_password(PASSWORD)
        user.save()
    course.instructors.add(teacher)
    enrollment_create(learner=learner, course=course)
    submission = Submission.objects.create(
        learner=learner, exercise=exercise, files={"solution.py": "def add(a, b): return 1"},
        status=Submission.Status.GRADED, verdict="failed", score=Decimal("3.25"),
        tests_passed=1, tests_total=4,
        results={"version": 3, "status": "fail", "tests": [{"name": "test_add", "status": "fail"}]},
    )  # fmt: skip
    page = Page(browser, live_server.url, "exam-mode")
    driver = browser
    url = f"/submissions/{submission.pk}/"

    log_in(driver, page, live_server.url, "anya", url)
    held = driver.find_element(By.CSS_SELECTOR, "[data-testid=submission-result]").text
    assert "3,25" not in held
    assert "3.25" not in held
    assert driver.find_elements(By.CSS_SELECTOR, "[data-testid=results-held]")
    page.check("held")

    results = f"/teach/{course.slug}/results/"
    log_in(driver, page, live_server.url, "teacher", results)
    page.check("exam mode page")
    driver.find_element(By.CSS_SELECTOR, "[data-testid=exam-item] button[type=submit]").click()
    WebDriverWait(driver, 30).until(ec.url_to_be(f"{live_server.url}{results}"))
    WebDriverWait(driver, 30).until(
        lambda d: not d.find_elements(By.CSS_SELECTOR, "[data-testid=exam-item] button")
    )
    page.check("released")
    release = ResultsRelease.objects.get()
    assert (release.exercise, release.released_by) == (exercise, teacher)

    log_in(driver, page, live_server.url, "anya", url)
    shown = driver.find_element(By.CSS_SELECTOR, "[data-testid=submission-result]").text
    assert "3,25" in shown or "3.25" in shown
    assert not driver.find_elements(By.CSS_SELECTOR, "[data-testid=results-held]")
    page.check("released to the learner")
