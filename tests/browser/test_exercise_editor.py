"""The exercise editor in Chromium: an instructor writes a Go exercise, typing its files into
the code editors (CodeMirror), sees a refusal named with what was typed kept, saves, and
watches a real worker check it in the sandbox (the reference passes, the starter fails) and
publish it, the page updating itself. Every page axe-clean."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import Select, WebDriverWait

from grader.models import CodingExercise
from tests.browser.test_instructor_journey import instructor_page
from tests.conftest import celery_worker
from tests.factories import SectionFactory, exercise_stored

pytestmark = [pytest.mark.slow, pytest.mark.services, pytest.mark.browser]

STARTER = "package sum\n\nfunc Sum(a, b int) int { return 0 }"
REFERENCE = "package sum\n\nfunc Sum(a, b int) int { return a + b }"
TEST = (
    'package sum\n\nimport "testing"\n\n'
    'func TestSum(t *testing.T) { if Sum(2, 3) != 5 { t.Fatal("want 5") } }'
)


def wait(driver: WebDriver, seconds: float = 30) -> WebDriverWait[WebDriver]:
    return WebDriverWait(
        driver,
        seconds,
        poll_frequency=0.2,
        ignored_exceptions=(NoSuchElementException, StaleElementReferenceException),
    )


def panel(driver: WebDriver, group: str) -> WebElement:
    return driver.find_element(By.CSS_SELECTOR, f"#files-{group} [data-file-panel]:not([hidden])")


def type_file(driver: WebDriver, group: str, name: str, code: str) -> None:
    """Name the group's shown file and type its code into its CodeMirror, as a person does."""
    shown = panel(driver, group)
    name_input = shown.find_element(By.CSS_SELECTOR, "[data-file-name-input]")
    name_input.clear()
    name_input.send_keys(name)
    content = shown.find_element(By.CSS_SELECTOR, ".cm-content")
    content.click()
    content.send_keys(Keys.CONTROL, "a")
    content.send_keys(Keys.DELETE)
    for number, line in enumerate(code.split("\n")):
        if number:
            content.send_keys(Keys.ENTER)  # (every line here closes its braces: no indent)
        content.send_keys(line)
    # the textarea behind the editor holds what was typed: that is what the form posts
    textarea = shown.find_element(By.CSS_SELECTOR, "textarea[data-code-editor]")
    typed = textarea.get_attribute("value") or ""
    assert typed == code, typed


def test_write_a_go_exercise_in_the_editor_and_see_a_worker_check_it(
    browser: WebDriver, live_server, live_worker_env, go_cache: Path, monkeypatch
) -> None:
    monkeypatch.setattr(settings, "GRADER_GO_CACHE", go_cache)
    section = SectionFactory.create(number="4.3", title="Функции", status="published")
    course = section.part.course
    page = instructor_page(browser, live_server, course, "teacher6", "exercise-editor")
    driver = browser
    page.check("teaching home")

    Select(driver.find_element(By.ID, "new-exercise-section")).select_by_value(str(section.pk))
    Select(driver.find_element(By.ID, "new-exercise-language")).select_by_value("go")
    driver.find_element(By.CSS_SELECTOR, "form[aria-labelledby=new-exercise-title] button").click()
    wait(driver).until(ec.presence_of_element_located((By.CSS_SELECTOR, ".cm-editor")))
    page.check("a new Go exercise")
    # every file is a code editor with line numbers and Go's indentation, not a JSON box
    assert driver.find_elements(By.CSS_SELECTOR, "#files-starter .cm-lineNumbers")
    assert not driver.find_elements(By.CSS_SELECTOR, "textarea[data-code-editor]:not([hidden])")

    driver.find_element(By.ID, "id_title").send_keys("Сумма двух чисел")
    driver.find_element(By.ID, "id_slug").send_keys("sum")
    driver.find_element(By.ID, "id_statement").send_keys("Напишите `Sum(a, b int) int`.")
    wall = driver.find_element(By.ID, "id_wall_seconds")
    wall.clear()
    wall.send_keys("45")
    type_file(driver, "starter", "sum.go", STARTER)
    type_file(driver, "reference", "answer.go", REFERENCE)  # not the starter's name: refused
    type_file(driver, "test", "sum_test.go", TEST)
    # the file's tab follows its name as it is typed
    tab = driver.find_element(By.CSS_SELECTOR, "#files-test [role=tab][aria-selected=true]")
    assert tab.text == "sum_test.go"
    driver.find_element(By.CSS_SELECTOR, "button[value=save]").click()

    wait(driver).until(ec.presence_of_element_located((By.CSS_SELECTOR, ".errorlist")))
    page.check("a refused save")
    errors = " ".join(e.text for e in driver.find_elements(By.CSS_SELECTOR, ".errorlist"))
    assert "Эталонное решение: должны быть те же файлы, что в заготовке (sum.go)" in errors
    assert "Время по часам, секунды: Убедитесь, что это значение меньше либо равно 30" in errors
    assert not CodingExercise.objects.exists()
    # what was typed is all still there, in the editors
    assert (
        "return a + b"
        in panel(driver, "reference").find_element(By.CSS_SELECTOR, ".cm-content").text
    )

    rename = panel(driver, "reference").find_element(By.CSS_SELECTOR, "[data-file-name-input]")
    rename.clear()
    rename.send_keys("sum.go")
    wall = driver.find_element(By.ID, "id_wall_seconds")
    wall.clear()
    wall.send_keys("20")
    driver.find_element(By.CSS_SELECTOR, "button[value=save]").click()
    wait(driver).until(ec.url_contains("/edit/"))
    exercise = CodingExercise.objects.get(slug="sum")
    assert exercise.reference_files == {"sum.go": REFERENCE}
    assert exercise.test_files == {"sum_test.go": TEST}
    assert not exercise.is_published
    check = driver.find_element(By.CSS_SELECTOR, "[data-testid=exercise-check]")
    assert check.get_attribute("data-state") == "queued"
    page.check("saved, the check queued")

    driver.execute_script("window.__stillTheSamePage = true")
    with celery_worker({**live_worker_env, "GRADER_GO_CACHE": str(go_cache)}, queues="code"):
        wait(driver, 240).until(
            ec.presence_of_element_located(
                (By.CSS_SELECTOR, "[data-testid=exercise-check][data-live-final]")
            )
        )
    exercise.refresh_from_db()
    check = driver.find_element(By.CSS_SELECTOR, "[data-testid=exercise-check]")
    assert check.get_attribute("data-state") == "passed", (exercise.check_report, check.text)
    assert driver.execute_script("return window.__stillTheSamePage === true")
    page.check("checked and published")
    assert "Упражнение опубликовано" in driver.find_element(By.CSS_SELECTOR, ".live-check").text
    exercise.refresh_from_db()
    assert exercise.is_published
    assert exercise.check_status == "ok"
    assert "reference: passed" in exercise.check_report


def test_the_code_editor_indents_by_language_leaves_on_escape_tab_and_has_a_tab_per_file(
    browser: WebDriver, live_server
) -> None:
    """The component to the learner page's standard (issue 22): Tab indents with the
    language's unit, Escape then Tab moves the focus out, each file has a tab (arrow keys
    move between them), and the textarea behind keeps what is typed."""
    section = SectionFactory.create(number="4.4", title="Пакеты", status="published")
    exercise = exercise_stored(
        section=section, slug="two", title="Два файла", statement="…", language="go",
        starter_files={"a.go": "package two\n", "b.go": "package two\n"},
        reference_files={"a.go": "package two\n", "b.go": "package two\n"},
        test_files={"two_test.go": "package two\n"},
    )  # fmt: skip
    page = instructor_page(browser, live_server, section.part.course, "teacher7", "code-editor")
    driver = browser
    page.open(f"/teach/{section.part.course.slug}/exercises/{exercise.pk}/edit/")
    wait(driver).until(ec.presence_of_element_located((By.CSS_SELECTOR, ".cm-editor")))
    page.check("an exercise with two starter files")

    tabs = driver.find_elements(By.CSS_SELECTOR, "#files-starter [role=tab]")
    assert [t.text for t in tabs] == ["a.go", "b.go"]
    tabs[0].click()
    tabs[0].send_keys(Keys.ARROW_RIGHT)
    assert driver.switch_to.active_element == tabs[1]
    assert tabs[1].get_attribute("aria-selected") == "true"
    shown = panel(driver, "starter")
    assert (
        shown.find_element(By.CSS_SELECTOR, "[data-file-name-input]").get_attribute("value")
        == "b.go"
    )

    content = shown.find_element(By.CSS_SELECTOR, ".cm-content")
    content.click()
    content.send_keys(Keys.CONTROL, Keys.END)
    content.send_keys("func F() {", Keys.ENTER, "x", Keys.HOME, Keys.TAB)
    textarea = shown.find_element(By.CSS_SELECTOR, "textarea[data-code-editor]")
    assert textarea.get_attribute("value") == "package two\nfunc F() {\n\t\tx\n}", repr(
        textarea.get_attribute("value")
    )  # Enter indented one tab inside the braces; Tab added one more
    content.send_keys(Keys.ESCAPE, Keys.TAB)  # and out of the editor
    assert "cm-content" not in (driver.switch_to.active_element.get_attribute("class") or "")
    assert (textarea.get_attribute("value") or "").endswith("\t\tx\n}")  # Tab typed nothing
    page.check("typed into the second file")
