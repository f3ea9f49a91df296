"""An instructor's journey in Chromium: fix a wrong key in the admin, dry-run a regrade from
the item analysis, apply it, and see the gradebook change. Every page axe-clean, no
JavaScript needed for any step (a running job's page refreshes itself)."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from quizzes.models import Attempt, Quiz
from teaching.models import RegradeJob
from tests.browser.conftest import Page
from tests.factories import (
    QuestionFactory,
    QuizFactory,
    SectionFactory,
    UserFactory,
    exercise_stored,
)
from tests.progress.test_progress import pass_quiz

pytestmark = [pytest.mark.slow, pytest.mark.browser]

PASSWORD = "пароль-преподавателя-2026"


@pytest.fixture
def tasks_run_at_once(monkeypatch):
    """The regrade queue's worker, in this process: each queued task runs when queued."""

    def run(task, *args, what: str) -> bool:
        task.apply(args=args)
        return True

    monkeypatch.setattr("teaching.regrade.enqueue", run)
    monkeypatch.setattr("teaching.tasks.enqueue", run)


def test_fix_a_key_dry_run_apply_and_see_the_gradebook_change(
    browser: WebDriver, live_server, tasks_run_at_once
) -> None:
    section = SectionFactory.create(number="4.2", title="Кэширование", status="published")
    course = section.part.course
    quiz = QuizFactory.create(section=section, title="TTL и вытеснение")
    question = QuestionFactory.create(quiz=quiz, title="TTL", text="Что задаёт TTL?")
    teacher = UserFactory.create(username="teacher", is_staff=True, is_superuser=True)
    teacher.set_password(PASSWORD)
    teacher.save()
    course.instructors.add(teacher)
    for name in ("anna", "boris"):
        pass_quiz(quiz, UserFactory.create(username=name), choice="b")
    page = Page(browser, live_server.url, "instructor-journey")
    driver = browser
    driver.delete_all_cookies()
    wait = WebDriverWait(driver, 30)

    page.open(f"/accounts/login/?next={course.get_absolute_url()}")
    driver.find_element(By.ID, "id_username").send_keys("teacher")
    driver.find_element(By.ID, "id_password").send_keys(PASSWORD, Keys.ENTER)
    # (Not url_contains: the login page's own "?next=" holds the course's address, so that
    # returned at once and the next line ran on the login page, a flaky failure in CI.)
    wait.until(ec.url_to_be(live_server.url + course.get_absolute_url()))
    driver.find_element(By.CSS_SELECTOR, f'a[href="/teach/{course.slug}/"]').click()
    wait.until(ec.url_contains(f"/teach/{course.slug}/"))
    page.check("teaching home")
    driver.find_element(By.CSS_SELECTOR, f'a[href="/teach/{course.slug}/gradebook/"]').click()
    page.check("gradebook before")
    assert len(driver.find_elements(By.CSS_SELECTOR, ".gradebook__cell--done")) == 2

    # the instructor finds that "c" was right, and fixes the key in the admin
    page.open(f"/admin/quizzes/question/{question.pk}/change/")
    for row, weight in ((1, "0"), (2, "100")):  # b was marked right; c is
        field = driver.find_element(By.ID, f"id_spec-choices-{row}-weight")
        field.clear()
        field.send_keys(weight)
    driver.find_element(By.NAME, "_save").click()
    wait.until(ec.url_to_be(f"{live_server.url}/admin/quizzes/question/"))  # saved

    page.open(f"/teach/{course.slug}/analysis/quizzes/{quiz.pk}/")
    page.check("item analysis")
    form = driver.find_element(By.CSS_SELECTOR, f'input[value="question:{question.pk}"]')
    form = form.find_element(By.XPATH, "./ancestor::form")
    form.find_element(By.TAG_NAME, "textarea").send_keys("ключ был неверным: верен вариант c")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait.until(ec.url_contains(f"/teach/{course.slug}/regrades/"))
    job = RegradeJob.objects.get()
    wait.until(lambda _d: RegradeJob.objects.get(pk=job.pk).status == "ready")
    driver.refresh()
    page.check("dry run")
    rows = driver.find_elements(By.CSS_SELECTOR, "table tbody tr")
    assert sorted(r.find_element(By.TAG_NAME, "th").text for r in rows) == ["anna", "boris"]
    assert all(a.passed for a in Attempt.objects.all())  # the dry run wrote nothing

    driver.find_element(By.CSS_SELECTOR, "form[method=post] button.button--primary").click()
    wait.until(lambda _d: RegradeJob.objects.get(pk=job.pk).status == "applied")
    driver.refresh()
    page.check("applied")
    assert not any(a.passed for a in Attempt.objects.all())

    driver.find_element(By.CSS_SELECTOR, f'a[href="/teach/{course.slug}/gradebook/"]').click()
    page.check("gradebook after")
    assert driver.find_elements(By.CSS_SELECTOR, ".gradebook__cell--done") == []
    driver.find_element(By.CSS_SELECTOR, ".gradebook__cell a").click()
    page.check("a learner's work")
    assert "ключ был неверным" in driver.page_source  # the grade's history


def test_the_other_instructor_pages_are_axe_clean(browser: WebDriver, live_server) -> None:
    from grader.models import Submission
    from tests.progress.test_progress import exercise_in, solve
    from tests.teaching.test_similarity import DISGUISED, ORIGINAL, STARTER

    section = SectionFactory.create(number="4.4", title="Ограничение скорости")
    course = section.part.course
    teacher = UserFactory.create(username="teacher2")
    teacher.set_password(PASSWORD)
    teacher.save()
    course.instructors.add(teacher)
    solve(exercise_in(section), UserFactory.create(username="vera"))
    exercise = exercise_stored(
        section=section, slug="bucket", title="Бакет", statement="…", language="python",
        starter_files={"bucket.py": STARTER}, test_files={"t.py": "x"},
        reference_files={"bucket.py": ORIGINAL}, is_published=True, check_status="ok",
    )  # fmt: skip
    a, b = (
        Submission.objects.create(
            learner=UserFactory.create(username=name),
            exercise=exercise,
            status="graded",
            verdict="passed",
            score=10,
            files={"bucket.py": code},
        )
        for name, code in (("gleb", ORIGINAL), ("dina", DISGUISED))
    )
    page = Page(browser, live_server.url, "instructor-pages")
    driver = browser
    driver.delete_all_cookies()
    page.open("/accounts/login/")
    driver.find_element(By.ID, "id_username").send_keys("teacher2")
    driver.find_element(By.ID, "id_password").send_keys(PASSWORD, Keys.ENTER)
    WebDriverWait(driver, 30).until(ec.url_changes(live_server.url + "/accounts/login/"))

    base = f"/teach/{course.slug}/"
    for label, path in (
        ("regrades", base + "regrades/"),
        ("exercise analysis", f"{base}analysis/exercises/{exercise.pk}/"),
        ("similar solutions", f"{base}similarity/exercises/{exercise.pk}/"),
        ("a pair side by side", f"{base}similarity/exercises/{exercise.pk}/pairs/{a.pk}/{b.pk}/"),
    ):
        page.open(path)
        page.check(label)
    assert driver.find_elements(By.TAG_NAME, "mark")


def instructor_page(browser: WebDriver, live_server, course, username: str, name: str) -> Page:
    """A new instructor of `course`, logged in, on their teaching home page."""
    teacher = UserFactory.create(username=username)
    teacher.set_password(PASSWORD)
    teacher.save()
    course.instructors.add(teacher)
    page = Page(browser, live_server.url, name)
    browser.delete_all_cookies()
    page.open("/accounts/login/")
    # (the form is waited for and its button pressed: an Enter typed into a page still loading
    # was lost once in CI under load, and the login never left the page)
    wait = WebDriverWait(browser, 60)
    wait.until(ec.presence_of_element_located((By.ID, "id_username"))).send_keys(username)
    browser.find_element(By.ID, "id_password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
    wait.until(ec.url_changes(live_server.url + "/accounts/login/"))
    page.open(f"/teach/{course.slug}/")
    return page


def test_grade_an_essay_from_the_queue_and_see_the_gradebook_change(
    browser: WebDriver, live_server
) -> None:
    from tests.teaching.test_grading_queue import essay_answer, submit_essay

    section = SectionFactory.create(number="4.2", title="Кэширование", status="published")
    course = section.part.course
    quiz = QuizFactory.create(section=section, title="Кэш", pass_score=50)
    QuestionFactory.create(quiz=quiz, order=1)
    QuestionFactory.create(
        quiz=quiz, order=2, type="essay", title="Инвалидация", text="Когда сбрасывать кэш?",
        spec={"min_words": 3, "grader_info": "Нужна инвалидация при записи"}, points=4,
    )  # fmt: skip
    attempt = submit_essay(quiz, UserFactory.create(username="anna"), "сбрасываем при записи")
    page = instructor_page(browser, live_server, course, "teacher3", "grading-queue")
    driver = browser
    wait = WebDriverWait(driver, 30)
    driver.find_element(By.CSS_SELECTOR, f'a[href="/teach/{course.slug}/grading/"]').click()
    page.check("grading queue")
    item = driver.find_element(By.ID, f"answer-{essay_answer(attempt).pk}")
    assert "сбрасываем при записи" in item.text
    item.find_element(By.NAME, "score").send_keys("9")  # over the question's 4 points
    item.find_element(By.NAME, "feedback").send_keys("Верно про запись")
    item.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    page.check("a refused grade")
    item = driver.find_element(By.ID, f"answer-{essay_answer(attempt).pk}")
    assert item.find_element(By.NAME, "feedback").get_attribute("value") == "Верно про запись"
    score = item.find_element(By.NAME, "score")
    assert score.get_attribute("aria-invalid") == "true"
    score.clear()
    score.send_keys("3")
    item.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, ".messages, [role=status]")))
    page.check("graded")
    attempt.refresh_from_db()
    assert (attempt.status, attempt.score) == ("graded", 4)

    driver.find_element(By.CSS_SELECTOR, f'a[href="/teach/{course.slug}/gradebook/"]').click()
    page.check("gradebook")
    assert len(driver.find_elements(By.CSS_SELECTOR, ".gradebook__cell--done")) == 1


def test_import_a_gift_file_from_the_site_preview_then_confirm(
    browser: WebDriver, live_server, tmp_path
) -> None:
    from tests.teaching.test_site_import import BROKEN, GIFT

    section = SectionFactory.create(number="4.2", title="Каналы", status="published")
    course = section.part.course
    good, bad = tmp_path / "kanaly.gift", tmp_path / "plohoj.gift"
    good.write_text(GIFT, encoding="utf-8")
    # Nothing in it can be imported: refused, every line named.
    bad.write_text(BROKEN.split("\n\n", 1)[1], encoding="utf-8")
    partly = tmp_path / "chastichno.gift"
    partly.write_text(BROKEN, encoding="utf-8")
    page = instructor_page(browser, live_server, course, "teacher4", "site-import")
    driver = browser
    wait = WebDriverWait(driver, 30)
    driver.find_element(By.CSS_SELECTOR, f'a[href="/teach/{course.slug}/import/"]').click()
    page.check("import page")
    driver.find_element(By.ID, "gift-file").send_keys(str(bad))
    driver.find_element(By.CSS_SELECTOR, "#gift-form button[type=submit]").click()
    wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, ".import-problems")))
    page.check("every line it cannot read")
    assert "plohoj.gift:1" in driver.page_source

    # One good question, two it cannot read: the preview lists them as skipped.
    page.open(f"/teach/{course.slug}/import/")
    driver.find_element(By.ID, "gift-file").send_keys(str(partly))
    driver.find_element(By.CSS_SELECTOR, "#gift-form button[type=submit]").click()
    wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "form button.button--primary")))
    page.check("preview with skipped questions")
    assert "chastichno.gift:3" in driver.page_source
    assert "chastichno.gift:5" in driver.page_source

    page.open(f"/teach/{course.slug}/import/")
    driver.find_element(By.ID, "gift-file").send_keys(str(good))
    driver.find_element(By.CSS_SELECTOR, "#gift-form button[type=submit]").click()
    wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "form button.button--primary")))
    page.check("preview")
    assert not Quiz.objects.exists()
    driver.find_element(By.CSS_SELECTOR, "form button.button--primary").click()
    wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, ".messages")))
    page.check("imported")
    assert Quiz.objects.get().questions.count() == 2
