"""The learner's editor drafts: saved as they type, back on any device, theirs only."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from grader import services
from grader.exercise_source import MAX_BYTES
from grader.models import Draft, Submission
from tests.factories import UserFactory
from tests.grader.test_pages import (
    STARTER,
    assert_no_secrets,
    exercise_url,
    graded,
    make_exercise,
    textarea_text,
)

pytestmark = pytest.mark.django_db

TYPED = "package cache\n\nfunc Get() {\n\treturn // typing\n}\n"


@pytest.fixture
def exercise():
    return make_exercise()


@pytest.fixture
def learner():
    return UserFactory.create()


@pytest.fixture
def signed_in(client: Client, learner) -> Client:
    client.force_login(learner)
    return client


def draft_url(exercise) -> str:
    return reverse("grader:draft", kwargs={"exercise_id": exercise.pk})


def editor(client: Client, exercise, query: str = "") -> str:
    response = client.get(exercise_url(exercise) + query)
    assert response.status_code == 200
    return textarea_text(response.content.decode(), "file:cache.go")


# --- the service -------------------------------------------------------------------------


def test_draft_save_keeps_one_draft_per_learner_and_exercise(exercise, learner):
    services.draft_save(learner=learner, exercise=exercise, files={"cache.go": "// one"})
    draft = services.draft_save(learner=learner, exercise=exercise, files={"cache.go": "// two"})

    assert Draft.objects.filter(learner=learner, exercise=exercise).count() == 1
    assert draft.files == {"cache.go": "// two"}


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"other.go": "x"}, "Unexpected files: other.go"),
        ({"cache.go": "x" * (MAX_BYTES + 1)}, "KB of files"),
        ({"cache.go": "a\x00b"}, "NUL byte"),
        ({}, "No files were submitted"),
    ],
)
def test_draft_save_refuses_what_a_submission_refuses_and_keeps_the_old_draft(
    exercise, learner, files, message
):
    services.draft_save(learner=learner, exercise=exercise, files={"cache.go": "// kept"})

    with translation.override("en"), pytest.raises(services.ExerciseError, match=message):
        services.draft_save(learner=learner, exercise=exercise, files=files)

    assert Draft.objects.get(learner=learner).files == {"cache.go": "// kept"}


def test_draft_saves_are_rate_limited_per_learner(exercise, learner, settings):
    settings.GRADER_DRAFT_SAVES_PER_MINUTE = 3
    for n in range(3):
        services.draft_save(learner=learner, exercise=exercise, files={"cache.go": f"// {n}"})

    with pytest.raises(services.DraftRefused) as refused:
        services.draft_save(learner=learner, exercise=exercise, files={"cache.go": "// 4"})

    assert 1 <= refused.value.retry_after <= 60
    assert Draft.objects.get(learner=learner).files == {"cache.go": "// 2"}
    # Another learner has their own quota.
    services.draft_save(learner=UserFactory.create(), exercise=exercise, files={"cache.go": "x"})


def test_draft_discard_removes_only_that_learners_draft(exercise, learner):
    other = UserFactory.create()
    services.draft_save(learner=learner, exercise=exercise, files={"cache.go": "// mine"})
    services.draft_save(learner=other, exercise=exercise, files={"cache.go": "// theirs"})

    services.draft_discard(learner=learner, exercise=exercise)

    assert list(Draft.objects.values_list("learner_id", flat=True)) == [other.pk]


# --- the page and the autosave endpoint ----------------------------------------------------


def test_autosave_returns_when_it_was_saved_and_the_page_then_holds_the_draft(
    signed_in, exercise, learner
):
    signed_in.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    # Browsers send CRLF; the draft keeps LF as the code was written.
    response = signed_in.post(draft_url(exercise), {"file:cache.go": TYPED.replace("\n", "\r\n")})

    assert response.status_code == 200
    body = response.json()
    saved_at = timezone.localtime(Draft.objects.get(learner=learner).updated_at)
    assert body["ok"] is True
    assert body["message"] == f"Draft saved at {saved_at:%H:%M}"
    assert body["saved_at"] == saved_at.isoformat()

    # Another device: a new session of the same learner.
    other_device = Client()
    other_device.force_login(learner)
    other_device.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = other_device.get(exercise_url(exercise)).content.decode()
    assert textarea_text(html, "file:cache.go") == TYPED
    assert f"Draft saved at {saved_at:%H:%M}" in html
    assert "In the editor: your draft, saved at" in html


def test_autosave_needs_the_csrf_token(exercise, learner):
    client = Client(enforce_csrf_checks=True)
    client.force_login(learner)

    response = client.post(draft_url(exercise), {"file:cache.go": TYPED})

    assert response.status_code == 403
    assert not Draft.objects.exists()


def test_autosave_names_what_is_wrong_and_saves_nothing(signed_in, exercise):
    signed_in.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = signed_in.post(draft_url(exercise), {"file:cache.go": "x" * (MAX_BYTES + 1)})

    assert response.status_code == 400
    assert response.json() == {"ok": False, "message": "At most 256 KB of files."}
    assert not Draft.objects.exists()


def test_autosave_over_the_limit_is_429_with_retry_after(signed_in, exercise, settings):
    settings.GRADER_DRAFT_SAVES_PER_MINUTE = 1
    assert signed_in.post(draft_url(exercise), {"file:cache.go": "// 1"}).status_code == 200

    response = signed_in.post(draft_url(exercise), {"file:cache.go": "// 2"})

    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    assert response.json()["ok"] is False


def test_autosave_of_an_unpublished_exercise_is_404(signed_in, exercise):
    exercise.is_published = False
    exercise.save()

    assert signed_in.post(draft_url(exercise), {"file:cache.go": TYPED}).status_code == 404


def test_autosave_is_post_only_and_needs_a_login(client, exercise):
    assert client.post(draft_url(exercise), {"file:cache.go": TYPED}).status_code == 302
    client.force_login(UserFactory.create())
    assert client.get(draft_url(exercise)).status_code == 405


def test_what_the_editor_holds_first_that_applies(signed_in, exercise, learner):
    older = graded(exercise, learner, files={"cache.go": "// older submission"})
    latest = graded(exercise, learner, files={"cache.go": "// latest submission"})
    Draft.objects.create(learner=learner, exercise=exercise, files={"cache.go": "// draft"})
    # A draft saved after the latest submission wins over it ...
    assert editor(signed_in, exercise) == "// draft"
    # ... but not over a submission asked for, the starter on reset, a shown run's code.
    assert editor(signed_in, exercise, f"?from={older.pk}") == "// older submission"
    assert editor(signed_in, exercise, "?reset=1") == STARTER

    # A submission made after the draft was saved is the newer code.
    Submission.objects.filter(pk=latest.pk).update(created_at=timezone.now() + timedelta(minutes=1))
    assert editor(signed_in, exercise) == "// latest submission"


def test_sent_back_code_wins_over_the_saved_draft(signed_in, exercise, learner):
    Draft.objects.create(learner=learner, exercise=exercise, files={"cache.go": "// draft"})
    signed_in.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    response = signed_in.post(
        reverse("grader:submit", kwargs={"exercise_id": exercise.pk}),
        {"file:cache.go": "// sent" + " " * MAX_BYTES},
    )

    assert response.status_code == 400
    assert textarea_text(response.content.decode(), "file:cache.go").startswith("// sent  ")


def test_reset_discards_the_draft_and_shows_the_starter(signed_in, exercise, learner):
    graded(exercise, learner, files={"cache.go": "// submitted"})
    Draft.objects.create(learner=learner, exercise=exercise, files={"cache.go": "// draft"})

    response = signed_in.post(reverse("grader:reset", kwargs={"exercise_id": exercise.pk}))

    assert response.status_code == 303
    assert response["Location"] == exercise_url(exercise) + "?reset=1#editor"
    assert not Draft.objects.exists()
    assert Submission.objects.filter(learner=learner).count() == 1  # submissions stay
    assert editor(signed_in, exercise, "?reset=1") == STARTER
    assert editor(signed_in, exercise) == "// submitted"


def test_nobody_sees_another_learners_draft(client, exercise, learner):
    Draft.objects.create(learner=learner, exercise=exercise, files={"cache.go": "// secret draft"})
    instructor = UserFactory.create()
    exercise.section.part.course.instructors.add(instructor)
    for viewer in (UserFactory.create(), instructor):
        client.force_login(viewer)
        html = client.get(exercise_url(exercise)).content.decode()
        assert "secret draft" not in html
        assert textarea_text(html, "file:cache.go") == STARTER
        # Saving a draft of one's own leaves the other's untouched.
        client.post(draft_url(exercise), {"file:cache.go": "// mine"})
    assert Draft.objects.get(learner=learner).files == {"cache.go": "// secret draft"}


def test_the_page_wires_the_code_editor_and_autosave(signed_in, exercise):
    html = signed_in.get(exercise_url(exercise)).content.decode()

    for expected in [
        "code-editor/code-editor.min.js",
        "code-editor/code-editor.css",
        'data-code-editor data-language="go"',
        "data-file-tabs=",
        'data-file-panel data-file-name="cache.go"',
        f'data-draft-url="{draft_url(exercise)}"',
        'id="draft-status" role="status" aria-live="polite"',
    ]:
        assert expected in html
    assert_no_secrets(html)
