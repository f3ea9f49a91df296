"""The exercise admin writes through grader.services: learners' submissions are never deleted,
and an exercise deleted there leaves learners' sections counting what is left."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from grader.models import CodingExercise
from grader.services import CheckOutcome
from progress.models import SectionProgress
from tests.factories import QuestionFactory, QuizFactory, SectionFactory, UserFactory
from tests.progress.test_progress import exercise_in, pass_quiz, solve

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client: Client) -> Client:
    client.force_login(User.objects.create_superuser("root", "root@example.com", "pw-tests"))
    return client


def test_an_exercise_learners_submitted_to_cannot_be_deleted(admin_client):
    exercise = exercise_in(SectionFactory.create())
    solve(exercise, UserFactory.create())

    assert (
        admin_client.get(f"/admin/grader/codingexercise/{exercise.pk}/delete/").status_code == 403
    )
    assert CodingExercise.objects.filter(pk=exercise.pk).exists()


def test_deleting_an_exercise_in_the_admin_completes_the_section_without_it(
    admin_client, tasks_run_inline, django_capture_on_commit_callbacks
):
    learner = UserFactory.create()
    section = SectionFactory.create()
    exercise = exercise_in(section)
    quiz = QuizFactory.create(section=section)
    QuestionFactory.create(quiz=quiz)
    pass_quiz(quiz, learner)
    assert not SectionProgress.objects.get(learner=learner, section=section).completed

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            f"/admin/grader/codingexercise/{exercise.pk}/delete/", {"post": "yes"}
        )

    assert response.status_code == 302
    assert not CodingExercise.objects.filter(pk=exercise.pk).exists()
    assert SectionProgress.objects.get(learner=learner, section=section).completed


def admin_exercise_post(exercise: CodingExercise, **changes: str) -> dict[str, str]:
    """The admin's change form of `exercise` as it posts it: files as rows, not JSON."""
    data = {
        "section": str(exercise.section_id), "slug": exercise.slug, "title": exercise.title,
        "statement": exercise.statement, "language": exercise.language,
        "cpu_seconds": str(exercise.cpu_seconds), "wall_seconds": str(exercise.wall_seconds),
        "memory_mb": str(exercise.memory_mb), "output_kb": str(exercise.output_kb),
        "scoring": exercise.scoring, "points": str(exercise.points), "order": "1",
        "allowances": "{}", "_save": "Save",
    }  # fmt: skip
    index = 0
    for role, field in (("starter", "starter_files"), ("reference", "reference_files"),
                        ("test", "test_files"), ("example", "example_files"),
                        ("support", "support_files")):  # fmt: skip
        for name, content in getattr(exercise, field).items():
            data |= {f"files-{index}-role": role, f"files-{index}-name": name,
                     f"files-{index}-content": content}  # fmt: skip
            index += 1
    return data | {"files-TOTAL": str(index)} | changes


def test_the_admin_edits_an_exercises_files_as_rows_with_the_code_editor(admin_client, monkeypatch):
    exercise = exercise_in(SectionFactory.create())
    checked: list[dict] = []
    monkeypatch.setattr(
        "grader.admin.exercise_save",
        lambda *, exercise: checked.append(dict(exercise.test_files)) or CheckOutcome(True, "OK"),
    )
    url = f"/admin/grader/codingexercise/{exercise.pk}/change/"

    page = admin_client.get(url).content.decode()
    assert "code-editor/code-editor.min.js" in page
    assert 'name="files-0-name"' in page
    assert "data-code-editor" in page
    assert 'name="test_files"' not in page  # no JSON box

    test_name = next(iter(exercise.test_files))
    refused = admin_client.post(
        url, admin_exercise_post(exercise) | {"files-2-name": "../" + test_name}
    )
    assert refused.status_code == 200
    assert "имя файла должно оставаться внутри папки упражнения" in refused.content.decode()
    assert checked == []

    saved = admin_client.post(
        url, admin_exercise_post(exercise) | {"files-2-content": "package x // new test"}
    )
    assert saved.status_code == 302
    assert checked == [{test_name: "package x // new test"}]
