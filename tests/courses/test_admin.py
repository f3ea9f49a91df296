"""Admin pages for the course structure; section edits go through the service."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from courses.models import Section
from tests.factories import PartFactory, SectionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client: Client) -> Client:
    user = User.objects.create_superuser("root", "root@example.com", "pw-for-tests-only")
    client.force_login(user)
    return client


def test_part_list_shows_the_computed_status(admin_client):
    part = PartFactory.create(number=4)
    for i, status in enumerate(["published", "published", "planned", "archived"], start=1):
        SectionFactory.create(part=part, number=f"4.{i}", status=status)

    html = admin_client.get("/admin/courses/part/").content.decode()

    assert "67% (2 из 3 разделов)" in html


@pytest.mark.parametrize(
    "url", ["/admin/courses/course/", "/admin/courses/section/", "/admin/courses/course/add/"]
)
def test_admin_pages_open(admin_client, url):
    assert admin_client.get(url).status_code == 200


def test_editing_material_in_the_admin_renders_sanitised_html(admin_client):
    section = SectionFactory.create(number="4.2", status="published")
    form = {
        "part": section.part_id,
        "number": "4.2",
        "title": "Кэширование",
        "slug": "caching",
        "topics": '["Redis"]',
        "material": "## Redis\n\n<script>alert(1)</script>\n\n```go\nx := 1\n```",
        "status": "published",
        "order": 2,
    }

    response = admin_client.post(f"/admin/courses/section/{section.pk}/change/", form)

    assert response.status_code == 302, response.content.decode()[:2000]
    section = Section.objects.get(pk=section.pk)
    assert "<h2>Redis</h2>" in section.material_html
    assert "<script" not in section.material_html
    assert "hl-" in section.material_html
