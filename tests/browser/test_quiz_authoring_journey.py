"""An instructor's whole quiz journey in Chromium, without the admin: create a quiz for a
section, add one question of each of the nine types in the editor (an ordering question's
items put in order with their move buttons), move a question, preview the quiz; a learner
takes it and answers everything; the instructor grades the essay from the grading queue and
sees the gradebook's cell change from "to grade" to the points and percent. Every page is
axe-clean; no step needs JavaScript. Grading runs in the live server's process when the
attempt is submitted (the eager path: the broker hop is tested with a real worker in
test_learner_journey)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import Select, WebDriverWait

from quizzes.models import Attempt, Question, Quiz
from tests.browser.conftest import Page
from tests.browser.test_instructor_journey import PASSWORD, instructor_page
from tests.factories import SectionFactory, UserFactory

pytestmark = [pytest.mark.slow, pytest.mark.browser]


@pytest.fixture
def grading_at_once(monkeypatch):
    """The quiz queue's worker, in the live server's process: a queued grading runs at once."""

    def run(task, *args, what: str, countdown: float = 0) -> bool:
        task.apply(args=args)
        return True

    monkeypatch.setattr("quizzes.services.enqueue", run)


def fill(driver: WebDriver, values: dict[str, str]) -> None:
    """Type into inputs by id (a select: choose the option with that value)."""
    for element_id, value in values.items():
        element = driver.find_element(By.ID, element_id)
        if element.tag_name == "select":
            Select(element).select_by_value(value)
        else:
            element.clear()
            element.send_keys(value)


# Each type: its title, text, points and the per-type fields (ids in the editor).
QUESTIONS: list[tuple[str, str, str, str, dict[str, str]]] = [
    ("single_choice", "Пул", "Что возвращает pgxpool.New?", "1", {
        "id_spec-choices-0-text": "*sql.DB", "id_spec-choices-1-text": "*pgxpool.Pool",
        "id_spec-choices-1-weight": "100",
    }),
    ("multiple_choice", "Каналы", "Что верно о каналах?", "1", {
        "id_spec-choices-0-text": "Канал можно закрыть", "id_spec-choices-0-weight": "50",
        "id_spec-choices-1-text": "Закрытый канал можно читать", "id_spec-choices-1-weight": "50",
        "id_spec-choices-2-text": "В закрытый канал можно писать",
        "id_spec-choices-2-weight": "-100",
    }),
    ("true_false", "Горутины", "Горутина дешевле потока ОС.", "1", {"id_spec-answer": "true"}),
    ("short_text", "Ключевое слово", "Как называется лёгкий поток Go?", "1", {
        "id_spec-answers-0-value": "горутина",
    }),
    ("numeric", "Ответ", "Сколько будет 6 × 7?", "1", {"id_spec-answers-0-value": "42"}),
    ("ordering", "Шаги", "Расставьте шаги работы с файлом.", "1", {
        "id_spec-items-0-text": "открыть", "id_spec-items-1-text": "закрыть",
        "id_spec-items-2-text": "записать",
    }),
    ("matching", "Пары", "Сопоставьте типы.", "1", {
        "id_spec-pairs-0-prompt": "int", "id_spec-pairs-0-answer": "целое",
        "id_spec-pairs-1-prompt": "string", "id_spec-pairs-1-answer": "строка",
    }),
    ("fill_blanks", "Пропуск", "Заполните пропуск.", "1", {
        "id_spec-text": "Go запускает {{1}} словом go", "id_spec-gaps-0-name": "1",
        "id_spec-gap_answers-0-gap": "1", "id_spec-gap_answers-0-value": "горутины",
    }),
    ("essay", "Эссе", "Когда закрывать канал?", "2", {
        "id_spec-min_words": "2", "id_spec-grader_info": "Закрывает отправитель",
    }),
]  # fmt: skip


def add_questions(page: Page, questions_url: str) -> None:
    driver = page.driver
    for question_type, title, text, points, typed in QUESTIONS:
        fields = dict(typed)
        page.open(questions_url)
        Select(driver.find_element(By.ID, "new-type")).select_by_value(question_type)
        driver.find_element(By.CSS_SELECTOR, "#add + form button[type=submit]").click()
        WebDriverWait(driver, 30).until(ec.url_contains(f"type={question_type}"))
        later = {}
        if question_type == "ordering":  # two empty rows to start with: add more
            later = {"id_spec-items-2-text": fields.pop("id_spec-items-2-text")}
        fill(driver, {"id_title": title, "id_text": text, "id_points": points, **fields})
        if question_type == "ordering":
            driver.find_element(By.CSS_SELECTOR, "button[value=add-items]").click()
            page.check("ordering rows added")
            fill(driver, later)
            # typed as open, close, write: "write" moves up one place, before "close"
            driver.find_element(By.CSS_SELECTOR, "button[value=move-items-2-up]").click()
            page.check("ordering items moved")
            assert driver.find_element(By.ID, "id_spec-items-1-text").get_attribute("value") == (
                "записать"
            )
            assert driver.find_element(By.ID, "id_title").get_attribute("value") == title
        else:
            page.check(f"new {question_type} question")
        driver.find_element(By.CSS_SELECTOR, "button[value=save]").click()
        WebDriverWait(driver, 30).until(
            ec.presence_of_element_located((By.CSS_SELECTOR, ".question-preview"))
        )
        assert Question.objects.filter(type=question_type, title=title).exists(), (
            question_type,
            driver.find_element(By.TAG_NAME, "main").text[:2000],
        )
    page.check("the essay saved, with its preview")


def answer_everything(driver: WebDriver, quiz: Quiz) -> None:
    """The learner's answers, all right, found by their labels as a person finds them."""
    by_type = {q.type: q for q in quiz.questions.all()}

    def field(question_type: str) -> WebElement:
        return driver.find_element(By.ID, f"question-{by_type[question_type].pk}")

    def label(box: WebElement, text: str) -> None:
        box.find_element(By.XPATH, f".//label[normalize-space()='{text}']").click()

    label(field("single_choice"), "*pgxpool.Pool")
    label(field("multiple_choice"), "Канал можно закрыть")
    label(field("multiple_choice"), "Закрытый канал можно читать")
    driver.find_element(By.ID, f"q{by_type['true_false'].pk}-true").click()
    field("short_text").find_element(By.TAG_NAME, "input").send_keys("Горутина")
    field("numeric").find_element(By.TAG_NAME, "input").send_keys("42")
    for position, text in enumerate(("открыть", "записать", "закрыть"), start=1):
        box = field("ordering").find_element(
            By.XPATH, f".//li[.//span[normalize-space()='{text}']]//select"
        )
        Select(box).select_by_value(str(position))
    for prompt, answer in (("int", "целое"), ("string", "строка")):
        box = field("matching").find_element(
            By.XPATH, f".//dt[normalize-space()='{prompt}']/following-sibling::dd[1]//select"
        )
        Select(box).select_by_visible_text(answer)
    field("fill_blanks").find_element(By.CSS_SELECTOR, ".blanks input").send_keys("горутины")
    field("essay").find_element(By.TAG_NAME, "textarea").send_keys(
        "Закрывает отправитель, когда данных больше не будет"
    )


def log_in(page: Page, username: str) -> None:
    page.driver.delete_all_cookies()
    page.open("/accounts/login/")
    page.driver.find_element(By.ID, "id_username").send_keys(username)
    page.driver.find_element(By.ID, "id_password").send_keys(PASSWORD, Keys.ENTER)
    WebDriverWait(page.driver, 30).until(ec.url_changes(page.base_url + "/accounts/login/"))


def quiz_cell(driver: WebDriver, learner: str) -> str:
    row = driver.find_element(By.XPATH, f"//tr[th[normalize-space()='{learner}']]")
    return row.find_element(By.CSS_SELECTOR, "td.gradebook__item").text


def test_create_a_quiz_of_every_type_take_it_grade_the_essay_and_see_the_gradebook(
    browser: WebDriver, live_server, grading_at_once
) -> None:
    section = SectionFactory.create(number="4.3", title="Каналы", status="published")
    course = section.part.course
    learner = UserFactory.create(username="masha")
    learner.set_password(PASSWORD)
    learner.save()
    page = instructor_page(browser, live_server, course, "teacher6", "quiz-authoring-journey")
    driver = browser
    wait = WebDriverWait(driver, 30)

    # a new quiz for the section, its settings as fields
    driver.find_element(By.CSS_SELECTOR, f'a[href="/teach/{course.slug}/quizzes/new/"]').click()
    page.check("new quiz")
    fill(driver, {"id_title": "Каналы и горутины", "id_pass_score": "80"})
    Select(driver.find_element(By.ID, "id_section")).select_by_value(str(section.pk))
    shuffle = driver.find_element(By.ID, "id_shuffle_choices")
    if shuffle.is_selected():
        shuffle.click()  # the choices in the order written
    driver.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
    wait.until(ec.url_contains("/questions/"))
    page.check("the new quiz's questions")
    quiz = Quiz.objects.get(title="Каналы и горутины")
    assert (quiz.section, quiz.pass_score, quiz.shuffle_choices) == (section, 80, False)
    questions_url = f"/teach/{course.slug}/quizzes/{quiz.pk}/questions/"

    add_questions(page, questions_url)
    assert sorted(quiz.questions.values_list("type", flat=True)) == sorted(t[0] for t in QUESTIONS)
    ordering = quiz.questions.get(type="ordering")
    assert [i["text"] for i in ordering.spec["items"]] == ["открыть", "записать", "закрыть"]

    # the essay first: moved up from the bottom, one button press at a time
    page.open(questions_url)
    page.check("nine questions")
    essay = quiz.questions.get(type="essay")
    for _ in range(8):
        # (each press loads the page again: the next press waits for the new page's button)
        button = wait.until(
            ec.element_to_be_clickable((By.CSS_SELECTOR, f"#question-{essay.pk} button[value=up]"))
        )
        button.click()
        wait.until(ec.staleness_of(button))
    wait.until(ec.url_contains(f"#question-{essay.pk}"))
    page.check("the essay moved to the top")
    assert quiz.questions.order_by("order").first() == essay
    assert list(quiz.questions.order_by("order").values_list("order", flat=True)) == list(
        range(1, 10)
    )

    driver.find_element(
        By.CSS_SELECTOR, f'a[href="/teach/{course.slug}/quizzes/{quiz.pk}/preview/"]'
    ).click()
    page.check("the whole quiz previewed")
    assert len(driver.find_elements(By.CSS_SELECTOR, "fieldset.question")) == 9
    assert "Закрывает отправитель" not in driver.page_source  # the graders' guidance stays out
    assert not Attempt.objects.exists()

    # the learner takes it
    log_in(page, "masha")
    page.open(f"/quizzes/{quiz.pk}/")
    page.check("the quiz, as the learner sees it")
    driver.find_element(By.CSS_SELECTOR, f'form[action="/quizzes/{quiz.pk}/start/"] button').click()
    wait.until(ec.url_contains("/attempts/"))
    answer_everything(driver, quiz)
    page.check("every question answered")
    driver.find_element(By.CSS_SELECTOR, "button[value=review]").click()
    wait.until(ec.url_contains("/submit/"))
    page.check("confirm submission")
    driver.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
    wait.until(ec.url_contains("/result/"))
    page.check("the learner's result: the essay waits")
    attempt = Attempt.objects.get(quiz=quiz)
    assert (attempt.status, attempt.awaiting_manual_grading) == ("submitted", True)
    scores = dict(attempt.answers.values_list("question__type", "score"))
    assert scores.pop("essay") is None
    assert scores == {name: Decimal("1.00") for name in scores}, scores  # all eight right
    assert len(scores) == 8

    # the instructor: the gradebook says "to grade"; grade the essay; the cell has the points
    log_in(page, "teacher6")
    page.open(f"/teach/{course.slug}/gradebook/")
    page.check("gradebook: the essay waits")
    waiting = quiz_cell(driver, "masha")
    assert "проверить" in waiting, waiting
    assert "%" not in waiting
    driver.find_element(By.CSS_SELECTOR, f'a[href="/teach/{course.slug}/grading/"]').click()
    page.check("grading queue")
    essay_answer = attempt.answers.get(question__type="essay")
    item = driver.find_element(By.ID, f"answer-{essay_answer.pk}")
    assert "Закрывает отправитель, когда данных больше не будет" in item.text
    item.find_element(By.NAME, "score").send_keys("1.5")
    item.find_element(By.NAME, "feedback").send_keys("Верно, но кратко")
    item.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, ".messages, [role=status]")))
    page.check("essay graded")
    attempt.refresh_from_db()
    assert (attempt.status, attempt.score, attempt.percent) == (
        "graded", Decimal("9.50"), Decimal("95.00"),
    )  # fmt: skip

    driver.find_element(By.CSS_SELECTOR, f'a[href="/teach/{course.slug}/gradebook/"]').click()
    page.check("gradebook: the points and percent")
    graded = quiz_cell(driver, "masha")
    assert "9,5/10 · 95%" in graded, graded
    assert "проверить" not in graded
    assert driver.find_elements(By.CSS_SELECTOR, ".gradebook__cell--done")  # 95 ≥ 80: passed
