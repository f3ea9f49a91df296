# ruff: noqa: E501 - tables of README lines read better unwrapped
"""Hand-written part READMEs in every shape the course's authors use (tests/data/readmes/):
each imports, its export is the input byte for byte, a re-import changes nothing, and the
status computed from its sections is the one its author wrote. Then the export after a
section changes state: only the status line and that section's line differ."""

from __future__ import annotations

import re
import shutil

import pytest

from courses.models import Course, Part, Section
from courses.part_readme import ReadmeError, parse_part_readme, part_readme_rewrite
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
    # A byte order mark; a code block and HTML comments holding what looks like structure.
    "14_bom_code_and_comments.md": (14, {"14.1": T, "14.2": F}),
    # Lists restarted under each sub-heading, "1." on every item, numbered topics.
    "15_restarted_lists.md": (15, {"15.1": T, "15.2": T, "15.3": F, "15.4": F, "15.5": F}),
    # Links with a title, in <>, by reference; another site's link and ⏳ in planned items.
    "16_link_forms.md": (16, {"16.1": T, "16.2": T, "16.3": T, "16.4": F, "16.5": F}),
    # Emoji in the title and the ## headings; "4.1:", "4.2 —" and "4.3)" section numbers.
    "17_emoji_headings.md": (17, {"17.1": T, "17.2": F, "17.3": F}),
    # A bold title; task lists; bare bullets in the planned block; "**50%** (2 из 4 тем)".
    "18_bullets_and_tasks.md": (18, {"18.1": T, "18.2": T, "18.3": F, "18.4": F}),
    # A Setext title; the status written before the first ##, not part of the description.
    "19_setext_title_status_in_intro.md": (19, {"19.1": T, "19.2": F}),
    # A rule between the block's heading and its items, and the navigation's rule.
    "20_rules_around_items.md": (20, {"20.1": T, "20.2": T}),
    # English; sections as linked bullets under "Done", a bold file name under "Planned".
    "21_english_bullets.md": (21, {"21.1": T, "21.2": T, "21.3": F}),
    # A block named in other words, bold lines as sub-headings, the status after the sections.
    "22_block_words_bold_subheadings.md": (22, {"22.1": T, "22.2": T, "22.3": F, "22.4": F}),
    # "####" sections under "###" sub-headings, closing "#"s, the status in a quote.
    "23_heading_levels.md": (23, {"23.1": T, "23.2": T, "23.3": F, "23.4": F}),
    # Figures before the percent; a list of links under a heading that is not a sub-heading.
    "24_see_also_and_figures_first.md": (24, {"24.1": T, "24.2": F}),
    # One file linked by two sections; a section's folder; a status without a percent.
    "25_shared_file_and_folder_links.md": (25, {"25.1": T, "25.2": T, "25.3": T, "25.4": F}),
}
# "29% (2 из 7 разделов)", "50% (1/2)", "**50%** (1 of 2 sections)": the author's figures.
STATED = re.compile(
    r"(?:\d+%(?:\*\*)?\s*|В разработке\s*)\((\d+)(?:\s*/\s*|\s+(?:из|of)\s+)(\d+)"
    r"|(\d+) из (\d+) разделов \(\d+%\)"
)


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
        figures = [int(group) for group in stated.groups() if group is not None]
        assert figures == [done, total]
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

    # Its link stays (taking the 🚧 away makes it written again, as it was): one marker.
    assert (
        "2. **[02_sync_primitives.md](./02_sync_primitives.md)** — Примитивы sync 🚧\n" in exported
    )
    assert "🚧 **В разработке** — 20% (1 из 5 разделов)\n" in exported
    path.write_text(exported, encoding="utf-8")
    course_import(path=path, course_slug=course.slug)
    assert sections_of(part)["2.2"] is False


def flipped(name: str) -> list[tuple[str, bool]]:
    return [(number, not written) for number, written in EXPECTED[name][1].items()]


@pytest.mark.parametrize(
    ("name", "number", "written"),
    [(name, number, written) for name in sorted(EXPECTED) for number, written in flipped(name)],
)
def test_every_section_of_every_readme_changes_state_in_two_lines(
    course, tmp_path, name, number, written
):
    """Whatever the shape, a section that changes state changes its own line and the status
    line, nothing else; the export imported again says what the database did, and exports
    the same again."""
    path = tmp_path / "README.md"
    shutil.copyfile(CORPUS / name, path)
    course_import(path=path, course_slug=course.slug)
    status = Section.Status.PUBLISHED if written else Section.Status.PLANNED
    Section.objects.filter(number=number).update(status=status)
    part = Part.objects.get(number=EXPECTED[name][0])
    wanted = sections_of(part)
    titles = dict(part.sections.values_list("number", "title"))

    exported = part_readme_render(part=part)

    original = (CORPUS / name).read_bytes().decode("utf-8")
    lines, old_lines = exported.splitlines(keepends=True), original.splitlines(keepends=True)
    assert len(lines) == len(old_lines)
    changed = [i for i, (old, new) in enumerate(zip(old_lines, lines, strict=True)) if old != new]
    assert 1 <= len(changed) <= 2, changed
    path.write_bytes(exported.encode("utf-8"))
    course_import(path=path, course_slug=course.slug)
    part = Part.objects.get(pk=part.pk)
    assert sections_of(part) == wanted
    assert dict(part.sections.values_list("number", "title")) == titles
    assert part_readme_render(part=part) == exported


def test_new_shapes_read_as_their_authors_mean(course, tmp_path):
    for name in ("15_restarted_lists.md", "16_link_forms.md", "18_bullets_and_tasks.md"):
        shutil.copyfile(CORPUS / name, tmp_path / name)
        course_import(path=tmp_path / name, course_slug=course.slug)
    rows = {s.number: s for s in Section.objects.all()}
    # Numbered sub-items are topics, not sections that push the real ones out.
    assert rows["15.1"].topics == ["Handler и ServeMux", "Тайм-ауты сервера"]
    assert rows["15.3"].source_path == "03_grpc.md"
    assert [(rows[n].title, rows[n].source_path) for n in ("16.1", "16.2", "16.3", "16.5")] == [
        ("Ошибки как значения", "01_errors.md"),
        ("Обёртки ошибок", "02 wrapping.md"),
        ("Пользовательские ошибки", "03_custom.md"),
        ("errgroup", "05_errgroup.md"),
    ]
    assert rows["18.2"].source_path == "02_redis.md"
    assert (rows["18.3"].title, rows["18.4"].title) == ("Kafka", "NATS")
    # The status written before the first "##" is not the part's description.
    shutil.copyfile(CORPUS / "19_setext_title_status_in_intro.md", tmp_path / "README.md")
    course_import(path=tmp_path / "README.md", course_slug=course.slug)
    part = Part.objects.get(number=19)
    assert (part.title, part.description) == (
        "Обобщения",
        "Обобщённые типы и ограничения в сравнении с generics в C#.",
    )


@pytest.mark.parametrize(
    ("line", "done", "total", "expected"),
    [
        ("🚧 **В разработке** — 29% (2 из 7 разделов)", 3, 7, "🚧 **В разработке** — 43% (3 из 7 разделов)"),
        ("🚧 **В разработке** — 0% (0 из 1 раздела)", 1, 2, "🚧 **В разработке** — 50% (1 из 2 разделов)"),
        ("🚧 В разработке — 50% (1 из 2 разделов)", 1, 21, "🚧 В разработке — 5% (1 из 21 раздела)"),
        ("⏳ В разработке - **50%** (2 из 4 тем)", 4, 4, "✅ Завершено - **100%** (4 из 4 тем)"),
        ("🚧 В работе — 40% (2 из 5 разделов готово)", 3, 5, "🚧 В работе — 60% (3 из 5 разделов готово)"),
        ("✅ **Завершено** — 100% (2 из 2 глав)", 1, 2, "🚧 **В разработке** — 50% (1 из 2 глав)"),
        ("🚧 **In progress** — 50% (1 of 2 sections)", 2, 2, "✅ **Completed** — 100% (2 of 2 sections)"),
        ("✅ Done - 100% (1 of 1 section)", 1, 2, "🚧 In progress - 50% (1 of 2 sections)"),
        ("**Статус**: 50% (1/2)", 2, 2, "**Статус**: 100% (2/2)"),
        ("Прогресс: 🚧 3% (1/30)", 1, 31, "Прогресс: 🚧 3% (1/31)"),
    ],
)  # fmt: skip
def test_the_status_line_keeps_the_authors_words(line, done, total, expected):
    text = f"# Часть 1: Т\n\n## Статус\n\n{line}\n"
    assert part_readme_rewrite(text, published={}, done=done, total=total) == (
        f"# Часть 1: Т\n\n## Статус\n\n{expected}\n"
    )


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("Просто текст\n", 1),
        ("\n\n## Часть 3: не заголовок первого уровня\n", 3),
        ("# Часть четыре: буквами\n", 1),
        ("```\n# Часть 1: в блоке кода\n```\n", 1),
        # Regression: a banner of punctuation took the title pattern exponential time (60
        # characters: years), so this import hung instead of being refused.
        ("# " + "=" * 60 + "\n\nТекст.\n", 1),
    ],
)
def test_only_a_file_without_a_part_title_is_refused(text, line):
    with pytest.raises(ReadmeError) as refused:
        parse_part_readme(text)
    assert refused.value.line == line
    assert "no '# Часть N: Title' line" in refused.value.message


ONE_SECTION = """# Часть 4: Веб

## Статус

🚧 **В разработке** — 50% (1 из 2 разделов)

## Материалы

1. **[01_http.md](./01_http.md)** — net/http
2. **02_grpc.md** — gRPC

{heading}

1. **[99_extra.md](./99_extra.md)** — Не раздел
- [Тоже не раздел](./98_extra.md)

| 206 | Partial Content (1/2) |
"""


@pytest.mark.parametrize(
    "heading",
    ["## Темп", "## Главное", "## Готовые решения", "## Планы", "## Материалы для самопроверки",
     "## Разделяемая память", "## Время на практику", "## Timeouts", "## Статусы HTTP",
     "## Что дальше", "## Домашнее задание", "## Уроки из продакшена"],
)  # fmt: skip
def test_other_blocks_are_not_read_as_sections_status_or_study_time(heading):
    # Regression (issue 12, third review): "##" blocks known by word stems took "Темп",
    # "Главное", "Готовые решения", "Timeouts" and "Статусы HTTP" for sections, the study
    # time or the status, whose table row the export then rewrote.
    readme = parse_part_readme(ONE_SECTION.format(heading=heading))

    assert [(s.number, s.published) for s in readme.sections] == [("4.1", True), ("4.2", False)]
    assert readme.status is not None
    assert readme.status.line == 5
    assert readme.study_time == ""


@pytest.mark.parametrize(
    ("text", "status_line"),
    [
        ("# Часть 6: HTTP\n\nСтатус заказа (1/2) показывается сразу.\n\n## Материалы\n\n"
         "1. [A](./01_a.md)\n", None),
        ("# Часть 6: HTTP\n\n## Материалы\n\n### 6.1 [gRPC: статус-коды (1/2)](./01_a.md)\n\n"
         "**Статус**: 🚧 В разработке — 50% (1 из 2 разделов)\n", 7),
        ("# Часть 6: HTTP\n\n> ⏳ Примеры обновляются: 1 из 3 примеров (33%).\n\n"
         "**Статус**: 🚧 В разработке — 50% (1 из 2 разделов)\n", 5),
        ("# Часть 6: HTTP\n\n## Материалы\n\n### 6.1 [A](./01_a.md)\n\n"
         "Прогресс перевода раздела: 2 из 3 глав (67%)\n", None),
        ("# Часть 6: HTTP\n\n| Статус | 🚧 В разработке — 50% (1 из 2 разделов) |\n", 3),
        ("# Часть 6: HTTP\n\n> 🚧 **В разработке** — 50% (1 из 2 разделов)\n", 3),
        ("# Часть 6: HTTP\n\n✅ Готово: 3 из 5 упражнений (60%) можно решить сразу.\n", None),
        ("# Часть 6: HTTP\n\n## Материалы\n\n**✅ Готово (1 из 2):**\n\n1. [A](./01_a.md)\n\n"
         "🚧 **В разработке** — 50% (1 из 2 разделов)\n", 9),
    ],
)  # fmt: skip
def test_only_the_status_line_is_read_as_the_status(text, status_line):
    # Regression (issue 12, third review): a sentence, a section's title or a quote with
    # figures in it was taken for the status and rewritten on export.
    readme = parse_part_readme(text)
    assert (readme.status.line if readme.status else None) == status_line


@pytest.mark.parametrize(
    ("heading", "states"),
    [
        ("## Учебные материалы", [T, F]), ("## Table of Contents", [T, F]),
        ("## Лекции", [T, F]), ("## Структура части", [T, F]),
        ("## Материалы в разработке", [T, F]), ("## Не опубликовано", [T, F]),
        ("## Опубликованные материалы", [T, F]), ("## Completed sections", [T, F]),
        ("## Что уже готово", [T, F]), ("## Запланированные материалы", [T, F]),
        ("## Planned sections", [T, F]), ("## Будущие материалы", [T, F]),
    ],
)  # fmt: skip
def test_a_block_of_sections_is_known_by_its_name(heading, states):
    # Regression (issue 12, fourth review): names outside an exact list lost their sections.
    text = f"# Часть 6: Сеть\n\n{heading}\n\n- [TCP](./01_tcp.md)\n- **02_http.md** — HTTP\n"
    assert [s.published for s in parse_part_readme(text).sections] == states


@pytest.mark.parametrize(
    "subheading", ["### Опубликованные", "### Написанные разделы", "### Готово к изучению",
                   "### Доступные разделы"],
)  # fmt: skip
@pytest.mark.parametrize(
    "planned", ["### Запланированные", "### Work in progress", "### Пока не готово",
                "### Ещё не готово", "### Скоро появятся"],
)  # fmt: skip
def test_sub_headings_are_known_by_their_words(subheading, planned):
    text = (
        f"# Часть 6: Сеть\n\n## Материалы\n\n{subheading}\n\n1. TCP\n\n{planned}\n\n"
        "2. HTTP\n3. gRPC\n"
    )
    assert [s.published for s in parse_part_readme(text).sections] == [T, F, F]


@pytest.mark.parametrize(
    "line",
    [
        "**Текущий статус:** 🚧 В разработке — 50% (1 из 2 разделов)",
        "📊 **Статус:** 🚧 В разработке — 50% (1 из 2 разделов)",
        "**Прогресс части 5:** 1 из 2 разделов (50%)",
        "🚧 **Work in progress** — 50% (1/2)",
        "> **Статус** 🚧 В разработке — 50% (1 из 2 разделов)",
        "🚧 50% (1 из 2 разделов)",
        "_Статус: в разработке, 1 из 2 разделов (50%)_",
        "**Готовность:** 50% (1/2)",
        "**Состояние:** 🚧 В разработке — 50% (1 из 2 разделов)",
        "**Прогресс:** 1/2",
        "**Статус**: 🚧 В разработке — 1/2",
        "**Статус:** 🚧 50% — 1 из 2",
        "🚧 **В разработке** (1 из 2 разделов готово, 50%)",
    ],
)
def test_status_lines_as_authors_write_them_are_found(line):
    # Regression (issue 12, fourth review): these were missed, so exports left them stale.
    text = f"# Часть 5: Т\n\n{line}\n\n## Материалы\n\n1. [A](./01_a.md)\n2. B\n"
    readme = parse_part_readme(text)
    assert readme.status is not None
    assert readme.status.line == 3
    rewritten = part_readme_rewrite(text, published={}, done=2, total=2).split("\n")[2]
    assert "1 из 2" not in rewritten
    assert "1/2" not in rewritten
    assert "2 из 2" in rewritten or "2/2" in rewritten


@pytest.mark.parametrize(
    "heading",
    ["## Материалы для чтения", "## Темы и задания", "## Структура проекта", "## Lessons learned",
     "## Устаревшие материалы", "## Материалы и ссылки", "## План урока"],
)  # fmt: skip
def test_a_block_that_holds_something_else_is_named_in_a_warning(heading):
    # Regression (issue 12, fifth review): these were read as the part's sections (and an
    # obsolete material published); a block is the part's only when all its words say so,
    # and one that links Markdown files is named in a warning saying how to make it so.
    text = f"# Часть 6: Сеть\n\n{heading}\n\n1. [TCP](./01_tcp.md)\n2. **02_http.md** — HTTP\n"
    readme = parse_part_readme(text)
    assert readme.sections == ()
    assert any(
        "links 01_tcp.md but is not read as the part's sections" in w for w in readme.warnings
    )


@pytest.mark.parametrize(
    ("subheading", "written"),
    [("### Не опубликовано", F), ("**Не завершено:**", F), ("### Not ready yet", F),
     ("### Почти готово", F), ("### Не начато", F), ("### Осталось написать", F),
     ("### Not started", F), ("### Готово, но без тестов", T)],
)  # fmt: skip
def test_a_state_word_turned_round_is_planned(subheading, written):
    text = f"# Часть 6: Сеть\n\n## Материалы\n\n{subheading}\n\n- Каналы\n- Select\n"
    assert [s.published for s in parse_part_readme(text).sections] == [written, written]


def test_a_section_titled_with_a_state_word_among_section_headings_is_a_section():
    text = (
        "# Часть 6: Т\n\n## Материалы\n\n### [Горутины](./01_g.md) ✅\n\n### Future и Promise"
        "\n\n### Готовые паттерны\n"
    )
    titles = [s.title for s in parse_part_readme(text).sections]
    assert titles == ["Горутины", "Future и Promise", "Готовые паттерны"]


def test_a_table_of_contents_of_anchors_is_not_sections():
    text = (
        "# Часть 5: Т\n\n## Содержание\n\n1. [Введение](#введение)\n2. [Каналы](#каналы)\n\n"
        "## Материалы\n\n1. [Введение](./01_intro.md)\n2. **02_ch.md** — Каналы\n"
    )
    sections = parse_part_readme(text).sections
    assert [(s.number, s.title) for s in sections] == [("5.1", "Введение"), ("5.2", "Каналы")]


def test_bullets_marked_planned_in_a_plain_block_are_sections():
    # Regression (issue 12, sixth review): "- Title 🚧" in a "## Материалы" list of bullets
    # was dropped, so a part of 2 written and 2 planned sections showed as complete.
    text = (
        "# Часть 11: Ввод-вывод\n\n## Материалы\n\n- [io.Reader и io.Writer](./01_io.md) ✅\n"
        "- ✅ [bufio](./02_bufio.md)\n- Кодирование JSON и XML 🚧\n- ⏳ Файловая система\n"
    )
    sections = parse_part_readme(text).sections
    assert [(s.title, s.published) for s in sections] == [
        ("io.Reader и io.Writer", T), ("bufio", T), ("Кодирование JSON и XML", F),
        ("Файловая система", F),
    ]  # fmt: skip
