"""A learner at a Python exercise in Chromium, with a real worker on the code queue and the
sandbox: the code editor (CodeMirror), the draft saved as they type and back after leaving
and on another device, a run of the examples, a failing then a passing submission with the
failed tests first (the line, expected and got), and their progress moving. Every page
axe-clean (issue 22, item 1)."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions as ec

from grader.models import CodingExercise, Draft, ExampleRun, Submission
from grader.services import exercise_import
from tests.browser.conftest import Page
from tests.browser.test_learner_journey import mark_page, progress_text, wait
from tests.conftest import celery_worker
from tests.factories import SectionFactory, UserFactory
from tests.grader.test_grading_worker import demo_exercise

pytestmark = [pytest.mark.slow, pytest.mark.services, pytest.mark.browser]

PASSWORD = "очень-длинный-пароль-2026"
TYPED = "# мой черновик"


def sign_in(page: Page, username: str) -> None:
    """A fresh browser session (cookies gone: as on another device), signed in."""
    page.driver.delete_all_cookies()
    page.open("/accounts/login/")
    page.driver.find_element(By.ID, "id_username").send_keys(username)
    page.driver.find_element(By.ID, "id_password").send_keys(PASSWORD, Keys.ENTER)
    wait(page.driver).until(ec.url_changes(page.base_url + "/accounts/login/"))


def open_exercise(page: Page, exercise: CodingExercise) -> None:
    page.open(f"/exercises/{exercise.pk}/")
    wait(page.driver).until(ec.presence_of_element_located((By.CSS_SELECTOR, ".cm-editor")))


def editor_text(driver: WebDriver) -> str:
    return (
        driver.find_element(By.CSS_SELECTOR, "textarea[data-code-editor]").get_attribute("value")
        or ""
    )


def paste(driver: WebDriver, code: str) -> None:
    """Replace the editor's content as a paste does (typing Python line by line would meet
    the editor's auto-indentation), through the editor so its textarea follows."""
    driver.execute_script(
        "const view = ZachetCodeEditor.editorOf(arguments[0]).view;"
        "view.dispatch({changes: {from: 0, to: view.state.doc.length, insert: arguments[1]}});",
        driver.find_element(By.CSS_SELECTOR, "textarea[data-code-editor]"),
        code,
    )


def test_learner_types_leaves_comes_back_runs_the_examples_and_submits(
    browser: WebDriver, live_server, live_worker_env
) -> None:
    section = SectionFactory.create(number="4.4", title="Ограничение частоты", status="published")
    imported = exercise_import(path=demo_exercise("python"), section=section)
    assert imported.check.ok, imported.check.report
    exercise = imported.exercise
    (name,) = exercise.starter_files
    reference = exercise.reference_files[name]
    broken = reference.replace("return len(self._buckets)", "return 0")
    assert broken != reference
    learner = UserFactory.create(username="ученица")
    learner.set_password(PASSWORD)
    learner.save()
    page = Page(browser, live_server.url, "learner-exercise")
    driver = browser

    # The exercise page: a code editor with line numbers and a tab per file.
    sign_in(page, "ученица")
    open_exercise(page, exercise)
    page.check("exercise page with the code editor")
    assert driver.find_elements(By.CSS_SELECTOR, ".editor .cm-lineNumbers")
    assert [t.text for t in driver.find_elements(By.CSS_SELECTOR, ".editor [role=tab]")] == [name]
    assert not driver.find_elements(By.CSS_SELECTOR, "textarea[data-code-editor]:not([hidden])")
    # Regression: the page's CSS gave the textarea display: block, so it showed above the
    # editor although hidden.
    textarea = driver.find_element(By.CSS_SELECTOR, "textarea[data-code-editor]")
    assert not textarea.is_displayed()
    before = progress_text(driver)
    assert before.startswith("0%"), before

    # Type: Python's indentation (four spaces after ":"), and the draft saves itself.
    content = driver.find_element(By.CSS_SELECTOR, ".editor .cm-content")
    content.click()
    content.send_keys(Keys.CONTROL, Keys.END)
    content.send_keys(Keys.ENTER, Keys.ENTER, "if True:", Keys.ENTER, "pass")
    assert editor_text(driver).endswith("\n\nif True:\n    pass"), repr(editor_text(driver)[-40:])
    content.send_keys(Keys.ENTER, Keys.BACKSPACE, TYPED)
    wait(driver).until(
        lambda d: "Черновик сохранён в" in d.find_element(By.ID, "draft-status").text
    )
    assert Draft.objects.get(learner=learner).files[name].endswith(TYPED)
    # Escape then Tab leaves the editor.
    content.send_keys(Keys.ESCAPE, Keys.TAB)
    assert "cm-content" not in (driver.switch_to.active_element.get_attribute("class") or "")
    page.check("draft saved")

    # Leave and come back: the draft is in the editor; so on another device.
    page.open("/dashboard/")
    open_exercise(page, exercise)
    assert editor_text(driver).endswith(TYPED)
    assert "Черновик сохранён в" in driver.find_element(By.ID, "draft-status").text
    sign_in(page, "ученица")
    open_exercise(page, exercise)
    assert editor_text(driver).endswith(TYPED)
    page.check("the draft on another device")

    with celery_worker(live_worker_env, queues="code"):
        # Run the examples with the draft (the starter: it fails them); not a submission.
        driver.find_element(By.CSS_SELECTOR, "form.editor button[formaction$='/examples/']").click()
        wait(driver, 120).until(
            ec.presence_of_element_located((By.CSS_SELECTOR, "#examples-result [data-live-final]"))
        )
        assert editor_text(driver).endswith(TYPED)  # the code that ran is still in the editor
        assert ExampleRun.objects.get(learner=learner).verdict != "passed"
        assert not Submission.objects.exists()
        page.check("the examples run")

        # A failing solution, submitted with Ctrl+Enter from the editor: failed tests first.
        paste(driver, broken)
        content = driver.find_element(By.CSS_SELECTOR, ".editor .cm-content")
        content.click()
        content.send_keys(Keys.CONTROL, Keys.ENTER)
        wait(driver).until(ec.url_contains("/submissions/"))
        mark_page(driver)
        wait(driver, 120).until(
            ec.presence_of_element_located((By.CSS_SELECTOR, "[data-live-final] .verdict--failed"))
        )
        results = driver.find_elements(By.CSS_SELECTOR, ".test-result")
        statuses = [(r.get_attribute("class") or "").split("--")[-1] for r in results]
        assert "pass" in statuses, statuses
        assert statuses[0] != "pass", statuses
        assert statuses == sorted(statuses, key=lambda s: s == "pass")  # failed ones first
        # The failed comparison: its line, and expected and got apart from the message.
        failed = next(r for r in results if "test-result--fail" in (r.get_attribute("class") or ""))
        message = failed.find_element(By.CSS_SELECTOR, ".test-result__message").text
        assert "0 != 2" in message, message
        assert "(в test_ratelimit.py:" in message, message
        compared = failed.find_element(By.CSS_SELECTOR, ".test-result__compared").text
        assert compared.split() == ["Ожидалось", "2", "Получено", "0"], compared
        page.check("a failing submission, failed tests first")
        assert Submission.objects.get(learner=learner).files[name] == broken

        # The passing one, with the button; the progress moves.
        open_exercise(page, exercise)
        assert editor_text(driver) == broken  # the latest submission, newer than the draft
        paste(driver, reference)
        driver.find_element(By.CSS_SELECTOR, "form.editor button.button--primary").click()
        wait(driver).until(ec.url_contains("/submissions/"))
        wait(driver, 120).until(
            ec.presence_of_element_located((By.CSS_SELECTOR, "[data-live-final] .verdict--passed"))
        )
        page.check("a passing submission")

    open_exercise(page, exercise)
    after = progress_text(driver)
    assert after != before
    assert after.startswith("100%"), (before, after)
    page.check("the exercise page after passing")

    # Reset to the starter asks first; dismissed, nothing changes; accepted, the draft goes.
    paste(driver, reference + "\n# ещё правка\n")
    wait(driver).until(
        lambda _d: Draft.objects.get(learner=learner).files[name].endswith("правка\n")
    )
    reset = driver.find_element(By.CSS_SELECTOR, "form.editor button[formaction$='/reset/']")
    reset.click()
    driver.switch_to.alert.dismiss()
    assert Draft.objects.filter(learner=learner).exists()
    reset.click()
    driver.switch_to.alert.accept()
    wait(driver).until(ec.url_contains("?reset=1"))
    assert editor_text(driver) == exercise.starter_files[name]
    assert not Draft.objects.filter(learner=learner).exists()
    page.check("reset to the starter code")
