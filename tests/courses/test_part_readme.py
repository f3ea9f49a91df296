"""Hand-written part READMEs in every shape the course's authors use (tests/data/readmes/):
each imports, its export is the input byte for byte, a re-import changes nothing, and the
status computed from its sections is the one its author wrote. Then the export after a
section changes state: only the status line and that section's line differ."""

from __future__ import annotations

import re
import shutil

import pytest

from courses.models import Course, Part, Section
from courses.readme_export import part_readme_render
from courses.services import course_import
from tests.conftest import REPO_DIR

pytestmark = pytest.mark.django_db

CORPUS = REPO_DIR / "tests" / "data" / "readmes"
T, F = True, False
# file -> (part number, {section number: written?}), read off each file by hand.
EXPECTED = {
    "01_materials_numbered.md": (2, {"2.1": T, "2.2": T, "2.3": F, "2.4": F, "2.5": F}),
    "02_mixed_numbered_and_headings.md": (2, {"2.1": T, "2.2": F, "2.3": F, "2.4": F}),
    "03_stub.md": (7, {}),
    "04_hyphen_status.md": (1, {"1.1": T, "1.2": T, "1.3": F}),
    "05_extra_sections.md": (5, {"5.1": T, "5.2": F, "5.3": F}),
    "06_complete_no_emoji.md": (3, {"3.1": T, "3.2": T}),
    "07_crlf.md": (6, {"6.1": T, "6.2": F}),
    "08_english.md": (8, {"8.1": T, "8.2": F}),
    "09_slash_status_no_block.md": (9, {"9.1": T, "9.2": F}),
    "10_numbered_only_planned.md": (10, {"10.1": F, "10.2": F, "10.3": F}),
    "11_subheading_plain_items.md": (11, {"11.1": T, "11.2": T, "11.3": T}),
    "12_title_separator_and_trailing_text.md": (12, {"12.1": T, "12.2": F}),
    "13_mixed_everything.md": (13, {"13.1": T, "13.2": T, "13.3": F, "13.4": F}),
}
# "29% (2 из 7 разделов)", "50% (1/2)", "50% (1 of 2 sections)": the author's figures.
STATED = re.compile(r"(\d+)%\s*\((\d+)(?:\s*/\s*|\s+(?:из|of)\s+)(\d+)")


def test_the_corpus_is_what_the_table_describes():
    assert sorted(p.name for p in CORPUS.glob("*.md")) == sorted(EXPECTED)


@pytest.fixture
def course() -> Course:
    return Course.objects.create(slug="go-for-csharp", title="Go для C# разработчиков")


def sections_of(part: Part) -> dict[str, bool]:
    rows = part.sections.exclude(status=Section.Status.ARCHIVED).order_by("order")
    return {s.number: s.status == Section.Status.PUBLISHED for s in rows}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_readme_round_trips_byte_for_byte(course, name, tmp_path):
    number, sections = EXPECTED[name]
    path = tmp_path / "README.md"
    shutil.copyfile(CORPUS / name, path)

    report = course_import(path=path, course_slug=course.slug)

    part = Part.objects.get(course=course, number=number)
    assert sections_of(part) == sections
    exported = part_readme_render(part=part)
    assert exported.encode("utf-8") == (CORPUS / name).read_bytes()
    # The status the platform computes is the author's.
    if stated := STATED.search((CORPUS / name).read_text(encoding="utf-8")):
        done, total = sum(sections.values()), len(sections)
        assert (int(stated.group(2)), int(stated.group(3))) == (done, total)
        assert not any("status line says" in w for w in report.warnings), report.warnings
    # Again: nothing changes.
    again = course_import(path=path, course_slug=course.slug)
    assert not again.changed, again.lines()


def test_unknown_sections_are_named_in_warnings(course, tmp_path):
    path = tmp_path / "README.md"
    shutil.copyfile(CORPUS / "05_extra_sections.md", path)
    report = course_import(path=path, course_slug=course.slug)
    named = "\n".join(report.warnings)
    for heading in ("## Требования", "## Проекты", "## Что дальше"):
        assert f"section '{heading}' is kept as it is" in named
    part = Part.objects.get(number=5)
    assert part.description == "Практические проекты на Go с проверкой тестами."
    assert Section.objects.get(number="5.2").topics == ["chi, middleware", "Миграции"]


def test_topics_at_any_indent_belong_to_their_section(course, tmp_path):
    path = tmp_path / "README.md"
    shutil.copyfile(CORPUS / "01_materials_numbered.md", path)
    course_import(path=path, course_slug=course.slug)
    first = Section.objects.get(number="2.1")
    assert first.title == "Горутины и каналы"
    assert first.source_path == "01_goroutines_channels.md"
    assert first.topics == [
        "Горутина против Task и потока ОС",
        "Буферизованные и небуферизованные каналы",
        "закрытие канала и range",
        "select и тайм-ауты",
    ]
    assert Section.objects.get(number="2.5").topics == []


@pytest.mark.parametrize(
    ("name", "number", "changed_line", "status_line"),
    [
        (
            "04_hyphen_status.md", "1.3",
            "### 1.3 Интерфейсы ✅",
            "✅ **Завершено** - 100% (3 из 3 разделов)",
        ),
        (
            "01_materials_numbered.md", "2.3",
            "3. **[03_context.md](./03_context.md)** — Context и отмена",
            "🚧 **В разработке** — 60% (3 из 5 разделов)",
        ),
        (
            "09_slash_status_no_block.md", "9.2",
            "### 9.2 Обобщённые структуры данных ✅",
            "**Статус**: ✅ Завершено — 100% (2/2)",
        ),
    ],
)  # fmt: skip
def test_a_section_written_since_changes_two_lines_and_reimports_the_same(
    course, tmp_path, name, number, changed_line, status_line
):
    path = tmp_path / "README.md"
    shutil.copyfile(CORPUS / name, path)
    course_import(path=path, course_slug=course.slug)
    Section.objects.filter(number=number).update(status=Section.Status.PUBLISHED)
    part = Section.objects.get(number=number).part
    before = sections_of(part)

    exported = part_readme_render(part=part)

    original = (CORPUS / name).read_text(encoding="utf-8").split("\n")
    lines = exported.split("\n")
    assert len(lines) == len(original)
    differing = [new for old, new in zip(original, lines, strict=True) if old != new]
    assert differing == [status_line, changed_line]
    # The export imported again says the same as the database did.
    path.write_text(exported, encoding="utf-8")
    course_import(path=path, course_slug=course.slug)
    assert sections_of(part) == before
    assert part_readme_render(part=Part.objects.get(pk=part.pk)) == exported


def test_a_written_section_that_goes_back_to_planned_is_marked_so(course, tmp_path):
    path = tmp_path / "README.md"
    shutil.copyfile(CORPUS / "01_materials_numbered.md", path)
    course_import(path=path, course_slug=course.slug)
    Section.objects.filter(number="2.2").update(status=Section.Status.PLANNED)
    part = Part.objects.get(number=2)

    exported = part_readme_render(part=part)

    assert "2. **02_sync_primitives.md** — Примитивы sync 🚧\n" in exported
    assert "🚧 **В разработке** — 20% (1 из 5 разделов)\n" in exported
    path.write_text(exported, encoding="utf-8")
    course_import(path=path, course_slug=course.slug)
    assert sections_of(part)["2.2"] is False
