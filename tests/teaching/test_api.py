"""/api/v1/regrades/: an instructor starts a dry run, reads its changes and applies it; nobody
else sees a job or can start one."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from quizzes.authoring import question_save
from teaching.models import RegradeJob
from teaching.regrade import regrade_apply_step, regrade_compute_step
from tests.factories import QuestionFactory, QuizFactory, SectionFactory, UserFactory
from tests.progress.test_progress import pass_quiz
from tests.teaching.test_regrade import RIGHT_IS_C

pytestmark = pytest.mark.django_db


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def setup(monkeypatch):
    monkeypatch.setattr("teaching.regrade.enqueue", lambda task, *args, what: True)
    section = SectionFactory.create()
    quiz = QuizFactory.create(section=section)
    question = QuestionFactory.create(quiz=quiz)
    instructor = UserFactory.create()
    section.part.course.instructors.add(instructor)
    learner = UserFactory.create(username="ученик")
    pass_quiz(quiz, learner, choice="b")
    question.spec = RIGHT_IS_C
    question_save(question=question)
    return quiz, question, instructor, learner


def test_an_instructor_dry_runs_reads_and_applies_a_regrade(
    setup, django_capture_on_commit_callbacks
):
    _quiz, question, instructor, _learner = setup
    api = client_for(instructor)

    with django_capture_on_commit_callbacks(execute=True):
        started = api.post("/api/v1/regrades/", {"question": question.pk, "reason": "ключ"})
    assert started.status_code == 202, started.json()
    job_id = started.json()["id"]
    assert started["Location"].endswith(f"/api/v1/regrades/{job_id}/")
    assert started.json()["status"] == "computing"
    while regrade_compute_step(job_id=job_id):
        pass

    job = api.get(f"/api/v1/regrades/{job_id}/").json()
    assert job["status"] == "ready"
    assert job["summary"]["changes"] == 1
    assert job["summary"]["pass_to_fail"] == 1
    changes = api.get(f"/api/v1/regrades/{job_id}/changes/").json()["results"]
    assert [(c["learner"], c["old_passed"], c["new_passed"], c["status"]) for c in changes] == [
        ("ученик", True, False, "pending")
    ]

    with django_capture_on_commit_callbacks(execute=True):
        applied = api.post(f"/api/v1/regrades/{job_id}/apply/")
    assert applied.status_code == 202, applied.json()
    while regrade_apply_step(job_id=job_id):
        pass
    assert api.get(f"/api/v1/regrades/{job_id}/").json()["status"] == "applied"
    again = api.post(f"/api/v1/regrades/{job_id}/apply/")
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "regrade_not_ready"


def test_learners_and_other_instructors_see_no_regrade(setup):
    quiz, _question, instructor, learner = setup
    outsider = UserFactory.create()
    SectionFactory.create().part.course.instructors.add(outsider)  # teaches another course
    job = client_for(instructor).post("/api/v1/regrades/", {"quiz": quiz.pk, "reason": "x"}).json()

    for user in (learner, outsider):
        api = client_for(user)
        assert api.get("/api/v1/regrades/").json()["results"] == []
        assert api.get(f"/api/v1/regrades/{job['id']}/").status_code == 404
        assert api.get(f"/api/v1/regrades/{job['id']}/changes/").status_code == 404
        assert api.post(f"/api/v1/regrades/{job['id']}/apply/").status_code == 404
        refused = api.post("/api/v1/regrades/", {"quiz": quiz.pk, "reason": "x"})
        assert refused.status_code == 404
    assert RegradeJob.objects.count() == 1
    bad = client_for(instructor).post("/api/v1/regrades/", {"quiz": quiz.pk, "exercise": 1,
                                                             "reason": "x"})  # fmt: skip
    assert bad.status_code == 400
