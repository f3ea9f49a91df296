"""The exercise editor of the teaching pages: files as names and code editors (not JSON),
limits and scoring as fields, refusals naming the field or file, what was typed kept; saving
queues the self-check and the page shows its result; published only when it passes; two
editors never overwrite each other silently. The course's instructors only."""

from __future__ import annotations

from decimal import Decimal
from html import unescape
from typing import Any

import pytest
from django.test import Client

from grader.editor_forms import ExerciseFiles, name_problem
from grader.models import CodingExercise
from grader.services import (
    CHECK_OUTDATED,
    exercise_check_and_publish,
    exercise_edit,
    exercise_edit_stamp,
)
from tests.factories import SectionFactory, UserFactory, exercise_stored
from tests.grader.test_services import FakeRunner

pytestmark = pytest.mark.django_db


@pytest.fixture
def broker(monkeypatch) -> list[tuple[Any, ...]]:
    """What the services hand the broker (the check of an exercise), not run."""
    sent: list[tuple[Any, ...]] = []

    def enqueue(task, *args, what: str) -> bool:
        sent.append(args)
        return True

    monkeypatch.setattr("grader.services.enqueue", enqueue)
    # (tests roll back instead of committing: what waits for the commit runs at once)
    monkeypatch.setattr("django.db.transaction.on_commit", lambda func, using=None: func())
    return sent


@pytest.fixture
def world():
    section = SectionFactory.create(number="4.2", title="Кэширование")
    course = section.part.course
    teacher = UserFactory.create(username="teacher")
    course.instructors.add(teacher)
    exercise = exercise_stored(
        section=section, slug="ttl", title="Кэш", statement="Сделайте кэш.", language="go",
        starter_files={"cache.go": "package cache // TODO"},
        reference_files={"cache.go": "package cache // SOLVED"},
        test_files={"cache_test.go": "package cache"}, support_files={"go.mod": "module x"},
        points=Decimal(10), cpu_seconds=10, wall_seconds=20, memory_mb=512,
    )  # fmt: skip
    return course, section, exercise, teacher


def client_of(user, language: str = "en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def edit_url(course, exercise) -> str:
    return f"/teach/{course.slug}/exercises/{exercise.pk}/edit/"


def new_url(course, section, language: str = "go") -> str:
    return f"/teach/{course.slug}/exercises/new/?section={section.pk}&language={language}"


def editor_post(exercise: CodingExercise, **changes: str) -> dict[str, str]:
    """The edit form of `exercise` as the page posts it."""
    data = {
        "action": "save",
        "seen": exercise_edit_stamp(exercise) if exercise.pk else "",
        "title": exercise.title,
        "slug": exercise.slug,
        "statement": exercise.statement,
        "language": exercise.language,
        "scoring": exercise.scoring,
        "points": str(exercise.points),
        "cpu_seconds": str(exercise.cpu_seconds),
        "wall_seconds": str(exercise.wall_seconds),
        "memory_mb": str(exercise.memory_mb),
        "output_kb": str(exercise.output_kb),
        "publish": "on",
    }
    index = 0
    for role, field in (("starter", "starter_files"), ("reference", "reference_files"),
                        ("test", "test_files"), ("example", "example_files"),
                        ("support", "support_files")):  # fmt: skip
        for name, content in getattr(exercise, field).items():
            data |= {f"files-{index}-role": role, f"files-{index}-name": name,
                     f"files-{index}-content": content}  # fmt: skip
            index += 1
    data["files-TOTAL"] = str(index)
    return data | changes


def text_of(response) -> str:
    return unescape(response.content.decode())


# --- who may see it --------------------------------------------------------------------


def test_only_the_courses_instructors_reach_the_editor(world):
    course, section, exercise, _teacher = world
    learner = UserFactory.create()
    other_teacher = UserFactory.create()
    SectionFactory.create().part.course.instructors.add(other_teacher)

    for user in (learner, other_teacher):
        client = client_of(user)
        assert client.get(edit_url(course, exercise)).status_code == 404
        assert client.post(edit_url(course, exercise), editor_post(exercise)).status_code == 404
        assert client.get(new_url(course, section)).status_code == 404
        check = f"/teach/{course.slug}/exercises/{exercise.pk}/check/"
        assert client.get(check).status_code == 404
    anonymous = Client().get(edit_url(course, exercise))
    assert anonymous.status_code == 302
    assert "/accounts/login/" in anonymous["Location"]
    exercise.refresh_from_db()
    assert exercise.title == "Кэш"


def test_another_courses_exercise_does_not_exist_on_this_courses_pages(world):
    course, _section, _exercise, teacher = world
    elsewhere = SectionFactory.create()
    foreign = exercise_stored(
        section=elsewhere, slug="x", title="X", statement="x", language="python",
        starter_files={"a.py": ""}, reference_files={"a.py": ""}, test_files={"test_a.py": ""},
    )  # fmt: skip
    client = client_of(teacher)
    assert client.get(edit_url(course, foreign)).status_code == 404
    assert client.get(new_url(course, elsewhere)).status_code == 404


# --- the page ---------------------------------------------------------------------------


def test_the_editor_shows_each_file_in_a_code_editor_and_loads_the_bundle(world):
    course, _section, exercise, teacher = world

    response = client_of(teacher).get(edit_url(course, exercise))

    assert response.status_code == 200
    page = text_of(response)
    assert 'name="files-0-name" id="id_files-0-name" value="cache.go"' in page
    assert "data-code-editor" in page
    assert 'data-language="go"' in page
    assert "package cache // SOLVED" in page  # the reference, to its instructors
    assert "/static/code-editor/code-editor.min.js" in page
    assert "{&quot;" not in response.content.decode()  # no JSON dictionaries to type into


def test_the_teaching_home_lists_exercises_and_offers_a_new_one(world):
    course, section, exercise, teacher = world

    page = text_of(client_of(teacher).get(f"/teach/{course.slug}/"))

    assert f'href="/teach/{course.slug}/exercises/{exercise.pk}/edit/"' in page
    assert f'<option value="{section.pk}">4.2 Кэширование</option>' in page


# --- saving -----------------------------------------------------------------------------


def test_a_new_go_exercise_is_saved_unpublished_and_its_check_queued(world, broker):
    course, section, _exercise, teacher = world
    draft = CodingExercise(section=section, slug="sum", title="Сумма", statement="Сложите.",
                           language="go", starter_files={"sum.go": "package sum // TODO"},
                           reference_files={"sum.go": "package sum // SOLVED"},
                           test_files={"sum_test.go": "package sum"},
                           example_files={"sum_example_test.go": "package sum"})  # fmt: skip
    data = editor_post(draft)

    response = client_of(teacher).post(new_url(course, section), data)

    assert response.status_code == 302, text_of(response)
    created = CodingExercise.objects.get(section=section, slug="sum")
    assert response["Location"] == edit_url(course, created)
    assert created.starter_files == {"sum.go": "package sum // TODO"}
    assert created.example_files == {"sum_example_test.go": "package sum"}
    assert (created.is_published, created.check_status) == (False, "unchecked")
    assert created.check_queued_at is not None
    assert created.publish_when_checked
    assert broker == [(created.pk, True)]
    assert created.order == 2  # after the section's other exercise

    page = text_of(client_of(teacher).get(edit_url(course, created)))
    assert 'data-state="queued"' in page
    assert "data-live-url" in page


def test_renaming_adding_and_removing_files_and_crlf_line_breaks(world, broker):
    course, _section, exercise, teacher = world
    data = editor_post(exercise)
    data |= {"files-0-name": "ttl.go", "files-1-name": "ttl.go",
             "files-1-content": "package cache\r\n\r\n// SOLVED\r\n",
             "files-4-role": "example", "files-4-name": "ttl_example_test.go",
             "files-4-content": "package cache", "files-3-remove": "1",
             "files-TOTAL": "5"}  # fmt: skip

    response = client_of(teacher).post(edit_url(course, exercise), data)

    assert response.status_code == 302, text_of(response)
    exercise.refresh_from_db()
    assert exercise.starter_files == {"ttl.go": "package cache // TODO"}
    assert exercise.reference_files == {"ttl.go": "package cache\n\n// SOLVED\n"}
    assert exercise.example_files == {"ttl_example_test.go": "package cache"}
    assert exercise.support_files == {}  # go.mod removed


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"files-2-name": "../escape_test.go"}, "Hidden tests, file 1, «../escape_test.go»: a file name must stay inside"),  # noqa: E501
        ({"files-2-name": "cache_test.py"}, "Hidden tests, file 1, «cache_test.py»: in a Go exercise, this group's files end with «_test.go»"),  # noqa: E501
        ({"files-1-name": "other.go"}, "Reference solution: must have the starter's files (cache.go), has other.go"),  # noqa: E501
        ({"files-2-name": "", "files-2-content": ""}, "Hidden tests: at least one file is needed"),
        ({"files-3-name": "cache.go", "files-3-content": "x"}, "Support files, file 1, «cache.go»: Starter code has a file of that name"),  # noqa: E501
        ({"files-0-name": "", "files-0-content": "package cache"}, "Starter code, file 1: the file needs a name"),  # noqa: E501
        ({"cpu_seconds": "100"}, "CPU time limit, seconds: Ensure this value is less than or equal to 30"),  # noqa: E501
        ({"memory_mb": "8"}, "Memory limit, MB: Ensure this value is greater than or equal to 32"),
        ({"points": "abc"}, "Points: Enter a number"),
        ({"title": ""}, "Title: This field is required"),
    ],
)  # fmt: skip
def test_a_refused_save_names_the_field_keeps_what_was_typed_and_writes_nothing(
    world, broker, changes, message
):
    course, _section, exercise, teacher = world
    before = exercise_edit_stamp(exercise)
    data = editor_post(exercise, statement="Новое условие, набранное заново") | changes

    response = client_of(teacher).post(edit_url(course, exercise), data)

    assert response.status_code == 400
    page = text_of(response)
    assert message in page, page
    assert "Новое условие, набранное заново" in page
    assert 'role="alert"' in page
    exercise.refresh_from_db()
    assert exercise_edit_stamp(exercise) == before
    assert broker == []


def test_refusals_are_in_russian_for_a_russian_instructor(world, broker):
    course, _section, exercise, teacher = world
    data = editor_post(exercise) | {"files-2-name": "../x_test.go", "cpu_seconds": "0"}

    page = text_of(client_of(teacher, "ru").post(edit_url(course, exercise), data))

    assert "Скрытые тесты, файл 1, «../x_test.go»: имя файла должно оставаться" in page, page
    assert "Время процессора, секунды:" in page
    assert 'id="id_files-2-name" value="../x_test.go" data-file-name-input' in page
    assert 'aria-invalid="true" aria-describedby="id_files-2-name-error"' in page


def test_add_a_file_keeps_what_was_typed_and_saves_nothing(world, broker):
    course, _section, exercise, teacher = world
    data = editor_post(exercise, action="add-example", title="Кэш с TTL")

    response = client_of(teacher).post(edit_url(course, exercise), data)

    assert response.status_code == 200
    page = text_of(response)
    assert 'value="Кэш с TTL"' in page
    assert 'name="files-4-role" value="example"' in page
    exercise.refresh_from_db()
    assert exercise.title == "Кэш"
    assert broker == []


def test_a_second_editor_does_not_overwrite_the_first_silently(world, broker):
    course, _section, exercise, teacher = world
    colleague = UserFactory.create()
    course.instructors.add(colleague)
    mine = editor_post(exercise, statement="Моё условие")
    theirs = editor_post(exercise, statement="Их условие")

    assert client_of(colleague).post(edit_url(course, exercise), theirs).status_code == 302
    response = client_of(teacher).post(edit_url(course, exercise), mine)

    assert response.status_code == 409
    page = text_of(response)
    assert "Someone saved this exercise after you opened it" in page
    assert "Моё условие" in page  # what I typed is still here
    exercise.refresh_from_db()
    assert exercise.statement == "Их условие"
    # Saving again, knowing it, replaces theirs with mine.
    again = mine | {"seen": exercise_edit_stamp(exercise)}
    assert client_of(teacher).post(edit_url(course, exercise), again).status_code == 302
    exercise.refresh_from_db()
    assert exercise.statement == "Моё условие"


def test_a_finished_check_does_not_make_an_open_editor_conflict(world, broker):
    course, _section, exercise, teacher = world
    data = editor_post(exercise, title="Кэш с TTL")
    exercise_check_and_publish(exercise_id=exercise.pk, publish=True, runner=FakeRunner())

    response = client_of(teacher).post(edit_url(course, exercise), data)

    assert response.status_code == 302


# --- the check's result on the page ---------------------------------------------------


def test_the_check_passes_publishes_and_the_page_says_so(world, broker):
    course, _section, exercise, teacher = world
    client_of(teacher).post(edit_url(course, exercise), editor_post(exercise))

    exercise_check_and_publish(exercise_id=exercise.pk, publish=True, runner=FakeRunner())

    exercise.refresh_from_db()
    assert exercise.is_published
    check_url = f"/teach/{course.slug}/exercises/{exercise.pk}/check/"
    fragment = text_of(client_of(teacher).get(check_url))
    assert 'data-state="passed"' in fragment
    assert "data-live-final" in fragment
    assert "The exercise is published." in fragment


def test_a_reference_that_fails_keeps_it_unpublished_and_names_the_test(world, broker):
    course, _section, exercise, teacher = world
    data = editor_post(exercise) | {"files-1-content": "package cache // still TODO"}
    client_of(teacher, "ru").post(edit_url(course, exercise), data)

    exercise_check_and_publish(exercise_id=exercise.pk, publish=True, runner=FakeRunner())

    exercise.refresh_from_db()
    assert not exercise.is_published
    page = text_of(client_of(teacher, "ru").get(edit_url(course, exercise)))
    assert 'data-state="failed"' in page
    assert "Эталонное решение проходит не все тесты" in page, page
    assert "TestB: expected 2, got 1" in page


def test_a_starter_that_passes_fails_the_check(world, broker):
    course, _section, exercise, teacher = world
    data = editor_post(exercise) | {"files-0-content": "package cache // SOLVED"}
    client_of(teacher).post(edit_url(course, exercise), data)

    exercise_check_and_publish(exercise_id=exercise.pk, publish=True, runner=FakeRunner())

    page = text_of(client_of(teacher).get(edit_url(course, exercise)))
    assert "The starter code already passes every test" in page


def test_a_check_of_files_edited_meanwhile_stores_nothing_and_publishes_nothing(world, broker):
    """Regression: a worker's check that read the files before an edit stored its pass for
    the edited files and published them, unchecked."""
    _course, _section, exercise, _teacher = world

    class EditedWhileRunning(FakeRunner):
        def __call__(self, **kwargs: Any) -> Any:
            if not self.calls:  # a colleague saves while the reference runs
                exercise_edit(
                    exercise=CodingExercise.objects.get(pk=exercise.pk),
                    values={"reference_files": {"cache.go": "package cache // broken"}},
                    seen_stamp=exercise_edit_stamp(exercise),
                    publish=True,
                )
            return super().__call__(**kwargs)

    outcome = exercise_check_and_publish(
        exercise_id=exercise.pk, publish=True, runner=EditedWhileRunning()
    )

    assert outcome is CHECK_OUTDATED
    exercise.refresh_from_db()
    assert (exercise.is_published, exercise.check_status) == (False, "unchecked")
    assert exercise.check_queued_at is not None  # the edit's own check is still wanted
    assert broker == [(exercise.pk, True)]


# --- the forms, alone -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "role", "language", "ok"),
    [
        ("main.go", "starter", "go", True),
        ("pkg/util.go", "starter", "go", True),
        ("main_test.go", "starter", "go", False),
        ("main_test.go", "test", "go", True),
        ("main.go", "test", "go", False),
        ("go.mod", "support", "go", True),
        ("solution.py", "starter", "python", True),
        ("test_solution.py", "test", "python", True),
        ("solution.go", "starter", "python", False),
        ("/etc/passwd.py", "starter", "python", False),
        ("a/../../b.py", "starter", "python", False),
        (".hidden.py", "starter", "python", False),
        ("_zachet_harness.py", "test", "python", False),
        ("a/b/c/d/e.py", "starter", "python", False),
    ],
)
def test_file_names(name, role, language, ok):
    assert (name_problem(name, role=role, language=language) == "") is ok


def test_files_of_one_group_may_not_share_a_name():
    files = ExerciseFiles(
        data={"files-TOTAL": "4",
              "files-0-role": "starter", "files-0-name": "a.py", "files-0-content": "1",
              "files-1-role": "starter", "files-1-name": "a.py", "files-1-content": "2",
              "files-2-role": "reference", "files-2-name": "a.py", "files-2-content": "3",
              "files-3-role": "test", "files-3-name": "test_a.py", "files-3-content": "4"}
    )  # fmt: skip
    assert not files.is_valid(language="python")
    assert [row.errors for row in files.rows if row.errors] == [
        ["Starter code, file 2, «a.py»: this group has another file of that name."]
    ]
