"""The CSV gradebook (content; 10,000 rows streamed in bounded memory) and the OpenAPI schema."""

from __future__ import annotations

import csv
import io
import tracemalloc
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command

from progress.models import Enrollment, ItemCompletion, SectionProgress
from tests.api.conftest import World, client_for

pytestmark = pytest.mark.django_db


def test_gradebook_rows_and_columns(world: World) -> None:
    ItemCompletion.objects.create(
        learner=world.learner, section=world.section, quiz=world.quiz, complete=True,
        score=Decimal("87.50"),
    )  # fmt: skip
    ItemCompletion.objects.create(
        learner=world.learner, section=world.section, exercise=world.exercise, score=Decimal("5")
    )
    SectionProgress.objects.create(learner=world.learner, section=world.section, completed=True)
    Enrollment.objects.create(learner=world.other, course=world.course_a)
    Enrollment.objects.create(learner=world.other_instructor, course=world.course_b)
    response = client_for(world.instructor).get(
        f"/api/v1/courses/{world.course_a.pk}/gradebook.csv"
    )
    assert response.streaming
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    number = world.section.number
    assert rows[0] == [
        "learner_id", "username", f"{number} quiz: {world.quiz.title} (%)",
        f"{number} exercise: Sum (points)", f"{number} completed",
        f"{number} quiz: {world.quiz.title} (%): late", f"{number} exercise: Sum (points): late",
    ]  # fmt: skip
    assert rows[1:] == [
        [str(world.learner.pk), "learner", "87.50", "5.00", "yes", "", ""],
        [str(world.other.pk), "other", "", "", "no", "", ""],
    ]


@pytest.mark.slow
def test_ten_thousand_rows_stream_in_bounded_memory(world: World) -> None:
    users = User.objects.bulk_create(
        [User(username=f"bulk{i:05d}", password="!") for i in range(10_000)], batch_size=2000
    )
    if users[0].pk is None:  # (backends that do not return ids from bulk inserts)
        users = list(User.objects.filter(username__startswith="bulk").order_by("id"))
    Enrollment.objects.bulk_create(
        [Enrollment(learner=u, course=world.course_a) for u in users], batch_size=2000
    )
    ItemCompletion.objects.bulk_create(
        [ItemCompletion(learner=u, section=world.section, quiz=world.quiz, complete=True,
                        score=Decimal("99.99")) for u in users],
        batch_size=2000,
    )  # fmt: skip
    response = client_for(world.instructor).get(
        f"/api/v1/courses/{world.course_a.pk}/gradebook.csv"
    )
    tracemalloc.start()
    try:
        rows = total = 0
        early_peak = 0
        for chunk in response.streaming_content:
            rows += 1
            total += len(chunk)
            if rows == 1_200:  # two batches of learners in
                early_peak = tracemalloc.get_traced_memory()[1]
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert rows == 10_001  # the header and one row per learner
    assert total > 250_000
    # Bounded: after 10,000 rows the peak is where it was after 1,200 (one batch
    # of 500 learners is held at a time, never the file or the learner list).
    assert peak < early_peak * 1.3 + 50_000, (early_peak, peak)
    assert peak < 2_500_000


def test_schema_generates_without_warnings(tmp_path) -> None:
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    text = out.read_text()
    assert "/api/v1/attempts/{id}/submit/" in text
    assert "tokenAuth" in text


def test_docs_are_served_without_a_cdn(client) -> None:
    page = client.get("/api/v1/docs/").content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in page
    assert "cdn" not in page.lower()
    assert client.get("/api/v1/schema/").status_code == 200
