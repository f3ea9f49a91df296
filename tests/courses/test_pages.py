"""The server-rendered course pages: content, 404s, query counts, safety, language."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pytest_django import DjangoAssertNumQueries

from courses.markdown import render_markdown
from courses.models import Course, Part, Section
from tests.factories import CourseFactory, PartFactory, SectionFactory

pytestmark = pytest.mark.django_db


def english(client: Client) -> Client:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def section_url(section: Section) -> str:
    return reverse(
        "courses:section",
        kwargs={
            "course_slug": section.part.course.slug,
            "part_number": section.part.number,
            "section_number": section.number,
        },
    )


def links_to(html: str, url: str) -> bool:
    return re.search(rf'<a\b[^>]*\bhref="{re.escape(url)}"', html) is not None


@pytest.fixture
def course() -> Course:
    return CourseFactory.create(
        slug="go", title="Go для C# разработчиков", description="Курс по Go."
    )


@pytest.fixture
def part4(course: Course) -> Part:
    """Part 4 as its README has it: 2 of 7 sections written, plus one archived."""
    part = PartFactory.create(
        course=course, number=4, title="Инфраструктура", study_time="3 недели"
    )
    SectionFactory.create(
        part=part, number="4.1", title="Production PostgreSQL", order=1, topics=["pgxpool"]
    )
    SectionFactory.create(part=part, number="4.2", title="Кэширование", order=2, topics=["Redis"])
    for order, (number, title) in enumerate(
        [
            ("4.3", "Очереди сообщений"),
            ("4.4", "gRPC"),
            ("4.5", "Observability"),
            ("4.6", "Конфигурация"),
            ("4.7", "Контейнеризация"),
        ],
        start=3,
    ):
        SectionFactory.create(
            part=part, number=number, title=title, order=order, planned=True, topics=["Kafka"]
        )
    SectionFactory.create(part=part, number="4.9", title="Retired section", order=9, archived=True)
    return part


def section(part: Part, number: str) -> Section:
    return Section.objects.select_related("part__course").get(part=part, number=number)


# --- Home ---------------------------------------------------------------------


def test_home_lists_courses_with_description_and_link(client: Client, course: Course) -> None:
    other = CourseFactory.create(title="Rust", description="Другой курс.")

    response = client.get("/")

    assert response.status_code == 200
    html = response.content.decode()
    for listed in (course, other):
        assert listed.title in html
        assert listed.description in html
        assert links_to(html, f"/courses/{listed.slug}/")


def test_home_without_courses_says_so(client: Client) -> None:
    response = english(client).get("/")

    assert "No courses yet." in response.content.decode()


# --- Course page ----------------------------------------------------------------


def test_course_page_lists_parts_with_status_and_progress(client: Client, part4: Part) -> None:
    PartFactory.create(course=part4.course, number=5, title="Тестирование")

    response = english(client).get("/courses/go/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "Part 4: Инфраструктура" in html
    assert "Part 5: Тестирование" in html
    assert links_to(html, "/courses/go/parts/4/")
    assert "In progress" in html
    # Archived sections are not counted: 2 of 7, not 2 of 8.
    assert "29% (2 of 7 sections)" in html
    assert "Course authoring status" in html
    assert "5 sections planned" in html
    assert "Authoring status:</span>" in html
    assert "2 of 7 sections published" in html
    # The course's status is labelled as such, never as the reader's progress.
    assert 'aria-label="Sections of the course written so far"' in html
    assert "Your progress" not in html  # a visitor has none


def test_course_page_marks_a_finished_part_completed(client: Client, course: Course) -> None:
    part = PartFactory.create(course=course, number=1)
    SectionFactory.create_batch(3, part=part)

    html = english(client).get("/courses/go/").content.decode()

    assert "Completed" in html
    assert "100% (3 of 3 sections)" in html


def test_course_page_404_for_unknown_course(client: Client) -> None:
    assert client.get("/courses/nope/").status_code == 404


# --- Part page ------------------------------------------------------------------


def test_part_page_shows_title_description_status_and_study_time(
    client: Client, part4: Part
) -> None:
    response = english(client).get("/courses/go/parts/4/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Part 4: Инфраструктура</h1>" in html
    assert part4.description in html
    assert "<strong>In progress</strong> — 29% (2 of 7 sections)" in html
    assert "3 недели" in html


# Needs the Russian catalog (locale/ru); until it exists the page shows English.
def test_part_page_status_line_in_russian_by_default(client: Client, part4: Part) -> None:
    html = client.get("/courses/go/parts/4/").content.decode()

    assert "29% (2 из 7 разделов)" in html


def test_part_page_links_published_sections_only(client: Client, part4: Part) -> None:
    html = english(client).get("/courses/go/parts/4/").content.decode()

    assert links_to(html, "/courses/go/parts/4/sections/4.1/")
    assert links_to(html, "/courses/go/parts/4/sections/4.2/")
    for number in ("4.3", "4.4", "4.5", "4.6", "4.7"):
        assert not links_to(html, f"/courses/go/parts/4/sections/{number}/")
        assert f"{number} " in html
    assert "Очереди сообщений" in html
    assert html.count('class="badge"') == 5
    # Topic lists for both kinds.
    assert "<li>pgxpool</li>" in html
    assert "<li>Kafka</li>" in html


def test_part_page_hides_archived_sections(client: Client, part4: Part) -> None:
    html = english(client).get("/courses/go/parts/4/").content.decode()

    assert "Retired section" not in html


def test_part_page_links_previous_and_next_part(client: Client, part4: Part) -> None:
    PartFactory.create(course=part4.course, number=3, title="Конкурентность", order=3)
    PartFactory.create(course=part4.course, number=5, title="Тестирование", order=5)

    html = english(client).get("/courses/go/parts/4/").content.decode()

    assert re.search(r'rel="prev" href="/courses/go/parts/3/"', html)
    assert re.search(r'rel="next" href="/courses/go/parts/5/"', html)


def test_part_neighbours_follow_number_when_order_is_not_set(
    client: Client, course: Course
) -> None:
    # Regression: neighbours were once found by comparing `order` alone, so
    # parts left at the default order 0 had no neighbours at all.
    for number in (1, 2, 3):
        PartFactory.create(course=course, number=number, order=0)

    html = client.get("/courses/go/parts/2/").content.decode()

    assert 'rel="prev" href="/courses/go/parts/1/"' in html
    assert 'rel="next" href="/courses/go/parts/3/"' in html


def test_first_part_has_no_previous_link(client: Client, part4: Part) -> None:
    html = client.get("/courses/go/parts/4/").content.decode()

    assert 'rel="prev"' not in html
    assert 'rel="next"' not in html


@pytest.mark.parametrize("url", ["/courses/go/parts/9/", "/courses/nope/parts/4/"])
def test_part_page_404_for_unknown_part(client: Client, part4: Part, url: str) -> None:
    assert client.get(url).status_code == 404


# --- Section page ---------------------------------------------------------------


def test_section_page_shows_title_topics_and_material(client: Client, part4: Part) -> None:
    written = section(part4, "4.2")
    written.material = "## Redis\n\nUse `go-redis` v9.\n\n```go\nrdb.Get(ctx, key)\n```\n"
    written.material_html = render_markdown(written.material)
    written.save()

    response = english(client).get("/courses/go/parts/4/sections/4.2/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>4.2 Кэширование</h1>" in html
    assert "<h2>Redis</h2>" in html
    assert "<code>go-redis</code>" in html
    assert 'class="hl-' in html
    assert "<li>Redis</li>" in html


def test_section_page_uses_the_material_heading_as_page_title(client: Client, part4: Part) -> None:
    written = section(part4, "4.1")
    written.material_html = render_markdown("# 4.1 Production PostgreSQL\n\nText.")
    written.save()

    html = client.get(section_url(written)).content.decode()

    assert html.count("<h1") == 1
    assert "<h1>4.1 Production PostgreSQL</h1>" in html


def test_section_page_links_previous_and_next_published_section(
    client: Client, part4: Part
) -> None:
    part5 = PartFactory.create(course=part4.course, number=5, order=5)
    SectionFactory.create(part=part5, number="5.1", order=1)

    first = client.get("/courses/go/parts/4/sections/4.1/").content.decode()
    last_of_part = client.get("/courses/go/parts/4/sections/4.2/").content.decode()

    assert 'rel="prev"' not in first
    assert 'rel="next" href="/courses/go/parts/4/sections/4.2/"' in first
    assert 'rel="prev" href="/courses/go/parts/4/sections/4.1/"' in last_of_part
    # Planned 4.3-4.7 are skipped; reading goes on in the next part.
    assert 'rel="next" href="/courses/go/parts/5/sections/5.1/"' in last_of_part


def test_planned_section_says_material_is_being_written(client: Client, part4: Part) -> None:
    response = english(client).get("/courses/go/parts/4/sections/4.3/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "The material for this section is being written." in html
    assert "<h1>4.3 Очереди сообщений</h1>" in html
    assert "<li>Kafka</li>" in html


@pytest.mark.parametrize(
    "url",
    [
        "/courses/go/parts/4/sections/4.9/",  # archived
        "/courses/go/parts/4/sections/4.8/",  # unknown
        "/courses/go/parts/5/sections/4.1/",  # wrong part
        "/courses/other/parts/4/sections/4.1/",  # wrong course
    ],
)
def test_section_page_404(client: Client, part4: Part, url: str) -> None:
    assert client.get(url).status_code == 404


def test_section_number_must_be_digits_and_dots(client: Client, part4: Part) -> None:
    assert client.get("/courses/go/parts/4/sections/4.1x/").status_code == 404


def test_script_in_material_does_not_reach_the_page(client: Client, part4: Part) -> None:
    hostile = SectionFactory.create(
        part=part4,
        number="4.8",
        order=8,
        material=(
            "Intro <script>alert('xss')</script>\n\n"
            '<img src="x.png" onerror="alert(1)">\n\n'
            "[click](javascript:alert(1))"
        ),
    )

    html = client.get(section_url(hostile)).content.decode()

    assert "Intro" in html
    assert "<script" not in html
    assert "alert('xss')" not in html
    assert "onerror" not in html
    # markdown-it refuses the link, so it stays inert text.
    assert 'href="javascript' not in html


def test_section_title_is_escaped(client: Client, part4: Part) -> None:
    # Only material_html is marked safe; every other field is escaped.
    escaped = SectionFactory.create(part=part4, number="4.8", order=8, title="<b>bold</b>")

    html = client.get(section_url(escaped)).content.decode()

    assert "&lt;b&gt;bold&lt;/b&gt;" in html
    assert "<b>bold</b>" not in html


# --- Query counts ---------------------------------------------------------------


def build_course(slug: str, *, parts: int, sections_per_part: int) -> None:
    course = CourseFactory.create(slug=slug)
    for part_number in range(1, parts + 1):
        part = PartFactory.create(course=course, number=part_number, order=part_number)
        for index in range(1, sections_per_part + 1):
            SectionFactory.create(
                part=part,
                number=f"{part_number}.{index}",
                order=index,
                planned=index % 2 == 0,
            )
        SectionFactory.create(part=part, number=f"{part_number}.99", order=99, archived=True)


def count_queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(context.captured_queries)


@pytest.mark.parametrize(
    ("small_url", "large_url", "most"),
    [
        ("/courses/small/", "/courses/large/", 2),
        ("/courses/small/parts/1/", "/courses/large/parts/3/", 2),
        # + the section's quizzes and exercises
        ("/courses/small/parts/1/sections/1.1/", "/courses/large/parts/3/sections/3.3/", 4),
    ],
    ids=["course", "part", "section"],
)
def test_pages_run_a_constant_number_of_queries(
    client: Client, small_url: str, large_url: str, most: int
) -> None:
    build_course("small", parts=1, sections_per_part=1)
    build_course("large", parts=5, sections_per_part=8)

    small = count_queries(client, small_url)
    large = count_queries(client, large_url)

    assert small == large
    assert large <= most


def test_home_runs_one_query(
    client: Client, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    build_course("large", parts=5, sections_per_part=8)

    with django_assert_num_queries(1):
        client.get("/")


# --- Language -------------------------------------------------------------------


def test_language_switcher_shows_the_status_in_english(client: Client, part4: Part) -> None:
    page = "/courses/go/parts/4/"
    assert 'action="/i18n/setlang/"' in client.get(page).content.decode()

    response = client.post("/i18n/setlang/", {"language": "en", "next": page}, follow=True)

    assert response.redirect_chain[-1][0] == page
    html = response.content.decode()
    assert '<html lang="en">' in html
    assert "29% (2 of 7 sections)" in html
    assert "In progress" in html
