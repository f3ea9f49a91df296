"""Course import from Markdown: the course's own part READMEs and mdBook folders."""

from __future__ import annotations

import re
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from courses.course_source import mojibake_repaired
from courses.models import Course, Part, Section
from courses.readme_export import part_readme_render
from courses.services import CourseImportError, course_import

pytestmark = pytest.mark.django_db


@pytest.fixture
def course() -> Course:
    return Course.objects.create(slug="go-for-csharp", title="Go для C# разработчиков")


def bullets_per_section(text: str) -> dict[str, list[str]]:
    """What the README lists, read independently of the importer: number -> bullets."""
    out: dict[str, list[str]] = {}
    current = None
    for line in text.splitlines():
        if match := re.match(r"### (\d+\.\d+) ", line):
            current = match.group(1)
            out[current] = []
        elif line.startswith("## "):
            current = None
        elif current and line.startswith("- "):
            out[current].append(line[2:])
    return out


def run_import(path: Path, *args: str) -> str:
    out = StringIO()
    call_command("import_course", str(path), *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def snapshot() -> list[tuple]:
    """Every course row's content, to prove that a refused import wrote nothing."""
    return [
        *Course.objects.values_list("id", "slug", "title", "updated_at"),
        *Part.objects.values_list("id", "number", "title", "description", "updated_at"),
        *Section.objects.values_list("id", "number", "title", "status", "topics", "updated_at"),
    ]


# --- the course's own READMEs ---------------------------------------------------


def test_seed_at_2_of_7_imports_with_every_topic(course, seed_2_of_7):
    # given the README at 2 of 7 sections (saved with the wrong code page)
    expected = bullets_per_section(mojibake_repaired(seed_2_of_7.read_text(encoding="utf-8"))[0])

    # when it is imported
    course_import(path=seed_2_of_7, course_slug=course.slug)

    # then the part has 7 sections, 2 published, each with its bullets
    part = Part.objects.get(course=course, number=4)
    assert part.title == "Инфраструктура и интеграции"
    assert part.study_time == "2-3 недели"
    sections = list(part.sections.order_by("order"))
    assert [s.number for s in sections] == [f"4.{i}" for i in range(1, 8)]
    assert [s.status for s in sections] == ["published"] * 2 + ["planned"] * 5
    assert {s.number: s.topics for s in sections} == expected
    assert sections[1].title == "Кэширование"
    assert sections[1].source_path == "02_caching.md"
    assert len(sections[0].topics) == 8


def test_seed_at_7_of_7_imports_with_every_topic(course, seed_7_of_7):
    expected = bullets_per_section(seed_7_of_7.read_text(encoding="utf-8"))

    course_import(path=seed_7_of_7, course_slug=course.slug)

    sections = list(Section.objects.filter(part__number=4).order_by("order"))
    assert [s.status for s in sections] == ["published"] * 7
    assert {s.number: s.topics for s in sections} == expected
    assert sum(len(s.topics) for s in sections) == sum(len(v) for v in expected.values())


@pytest.mark.parametrize(
    ("seed", "status"),
    [
        ("seed_2_of_7", "🚧 **В разработке** — 29% (2 из 7 разделов)"),
        ("seed_7_of_7", "✅ **Завершено** — 100% (7 из 7 разделов)"),
    ],
)
def test_round_trip_gives_the_same_readme(course, seed, status, request):
    path: Path = request.getfixturevalue(seed)
    course_import(path=path, course_slug=course.slug)

    exported = part_readme_render(part=Part.objects.get(number=4))

    # Byte for byte, the 2/7 seed too: it reached git mis-encoded, is read repaired, and goes
    # back in its own encoding (only the platform's lines may differ in git).
    assert exported.encode("utf-8") == path.read_bytes()
    assert status in mojibake_repaired(exported)[0]


def test_export_command_writes_the_readme(course, seed_7_of_7, tmp_path):
    course_import(path=seed_7_of_7, course_slug=course.slug)
    target = tmp_path / "README.md"

    call_command("export_part_readme", "4", "-o", str(target), stderr=StringIO())

    assert target.read_text(encoding="utf-8") == seed_7_of_7.read_text(encoding="utf-8")


def test_export_is_in_the_readmes_language_whatever_the_active_language(course, seed_7_of_7):
    course_import(path=seed_7_of_7, course_slug=course.slug)
    Section.objects.filter(number="4.7").update(status=Section.Status.PLANNED)
    with translation.override("en"):
        exported = part_readme_render(part=Part.objects.get(number=4))
    assert "🚧 **В разработке** — 86% (6 из 7 разделов)\n" in exported


def test_reimport_of_the_same_file_changes_nothing(course, seed_7_of_7):
    course_import(path=seed_7_of_7, course_slug=course.slug)
    before = snapshot()

    report = course_import(path=seed_7_of_7, course_slug=course.slug)

    assert not report.changed
    assert snapshot() == before
    assert report.lines()[-1] == "0 created, 0 updated, 0 archived, 8 unchanged"


def test_changed_file_updates_rows_in_place(course, seed_2_of_7, seed_7_of_7):
    # given the part imported at 2 of 7
    course_import(path=seed_2_of_7, course_slug=course.slug)
    ids = dict(Section.objects.values_list("number", "id"))
    part_id = Part.objects.get(number=4).id

    # when the finished README is imported over it
    report = course_import(path=seed_7_of_7, course_slug=course.slug)

    # then the same rows now say 7 of 7
    assert dict(Section.objects.values_list("number", "id")) == ids
    assert Part.objects.get(number=4).id == part_id
    assert set(Section.objects.values_list("status", flat=True)) == {"published"}
    assert "section 4.3 Очереди сообщений" in " ".join(report.updated)
    assert Section.objects.get(number="4.3").source_path == "03_message_queues.md"


def test_renumbered_sections_keep_their_ids_by_file(course, seed_7_of_7, tmp_path):
    # given the finished part
    course_import(path=seed_7_of_7, course_slug=course.slug)
    caching_id = Section.objects.get(source_path="02_caching.md").id
    pg_id = Section.objects.get(source_path="01_production_postgresql.md").id

    # when an author inserts a new 4.1 and shifts the rest down by one
    text = seed_7_of_7.read_text(encoding="utf-8")
    numbers = iter(range(2, 9))
    text = re.sub(r"### 4\.\d ", lambda _m: f"### 4.{next(numbers)} ", text)
    text = text.replace(
        "### 4.2 [Production PostgreSQL]",
        "### 4.1 [Введение в инфраструктуру](./00_intro.md) ✅\n- Обзор части\n\n"
        "### 4.2 [Production PostgreSQL]",
    )
    edited = tmp_path / "README.md"
    edited.write_text(text, encoding="utf-8")
    course_import(path=edited, course_slug=course.slug)

    # then each file's row kept its id under its new number
    assert Section.objects.get(id=pg_id).number == "4.2"
    assert Section.objects.get(id=caching_id).number == "4.3"
    assert Section.objects.get(number="4.1").title == "Введение в инфраструктуру"
    assert Section.objects.filter(part__number=4).count() == 8


def test_section_removed_from_the_source_is_archived_and_comes_back(course, seed_7_of_7, tmp_path):
    course_import(path=seed_7_of_7, course_slug=course.slug)
    grpc = Section.objects.get(number="4.4")
    text = seed_7_of_7.read_text(encoding="utf-8")
    start = text.index("### 4.4")
    without = text[:start] + text[text.index("### 4.5") :]
    edited = tmp_path / "README.md"
    edited.write_text(without, encoding="utf-8")

    report = course_import(path=edited, course_slug=course.slug)

    grpc.refresh_from_db()
    assert grpc.status == "archived"
    assert report.archived == ["section 4.4 gRPC"]
    assert "6 из 6 разделов" in part_readme_render(part=grpc.part)

    course_import(path=seed_7_of_7, course_slug=course.slug)
    grpc.refresh_from_db()
    assert (grpc.status, grpc.number) == ("published", "4.4")


def test_material_beside_the_readme_is_imported_and_sanitised(course, seed_7_of_7, tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(seed_7_of_7.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "02_caching.md").write_text(
        "# Кэш\n\n```go\nfunc main() {}\n```\n\n<script>alert(1)</script>\n", encoding="utf-8"
    )

    report = course_import(path=readme, course_slug=course.slug)

    caching = Section.objects.get(number="4.2")
    assert caching.material.startswith("# Кэш")
    assert "hl-" in caching.material_html
    assert "<script" not in caching.material_html
    assert any("01_production_postgresql.md not found" in w for w in report.warnings)


def test_command_prints_what_it_did(course, seed_2_of_7):
    first = run_import(seed_2_of_7, "--course", course.slug)
    again = run_import(seed_2_of_7, "--course", course.slug)

    assert "created section 4.2 Кэширование" in first
    assert first.strip().endswith("8 created, 0 updated, 0 archived, 0 unchanged")
    assert "unchanged section 4.2 Кэширование" in again


def test_dry_run_writes_nothing(course, seed_7_of_7):
    out = run_import(seed_7_of_7, "--course", course.slug, "--dry-run")
    assert "created section 4.7 Контейнеризация" in out
    assert not Part.objects.exists()


def test_part_readme_without_a_course_needs_one(seed_7_of_7):
    with pytest.raises(CourseImportError, match="--course"):
        course_import(path=seed_7_of_7)
    report = course_import(path=seed_7_of_7, course_slug="new", course_title="Новый курс")
    assert report.course is not None
    assert report.course.title == "Новый курс"


# --- mdBook folders -------------------------------------------------------------


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def book(tmp_path: Path) -> Path:
    root = tmp_path / "go-course"
    write(root / "book.toml", '[book]\ntitle = "Go для C# разработчиков"\n')
    write(root / "intro.md", "Курс для тех, кто пишет на C#.\n")
    write(
        root / "SUMMARY.md",
        "# Summary\n\n[Введение](intro.md)\n\n"
        "# Часть 1: Основы\n\n"
        "- [1.1 Синтаксис](part1-basics/01_syntax.md)\n"
        "- [1.2 Типы](part1-basics/02_types.md)\n\n"
        "# Часть 2: Конкурентность\n\n"
        "- [Горутины](part2-concurrency/01_goroutines.md)\n"
        "- [Каналы]()\n",
    )
    write(root / "part1-basics/01_syntax.md", "# Синтаксис\n\n```go\nvar x = 1\n```\n")
    write(root / "part1-basics/02_types.md", "# Типы\n\nСтруктуры и интерфейсы.\n")
    write(root / "part2-concurrency/01_goroutines.md", "# Горутины\n\n`go f()`\n")
    write(
        root / "part2-concurrency/README.md",
        "# Часть 2: Конкурентность\n\n## Описание\n\nГорутины, каналы и context.\n\n"
        "## Статус\n\n🚧 **В разработке** — 50% (1 из 2 разделов)\n\n"
        "## Завершённые материалы\n\n"
        "### 2.1 [Горутины](./01_goroutines.md) ✅\n- go\n- WaitGroup\n\n"
        "## Планируемые материалы\n\n### 2.2 Каналы\n- select\n\n"
        "## Время изучения\n\n**Примерно**: 1 неделя\n",
    )
    return root


def test_mdbook_folder_imports_all_parts_and_sections(book):
    report = course_import(path=book)

    course = Course.objects.get(slug="go-course")
    assert report.course == course
    assert course.title == "Go для C# разработчиков"
    assert course.description == "Курс для тех, кто пишет на C#."
    parts = list(course.parts.order_by("number"))
    assert [(p.number, p.title, p.slug) for p in parts] == [
        (1, "Основы", "part1-basics"),
        (2, "Конкурентность", "part2-concurrency"),
    ]
    first = list(parts[0].sections.order_by("order"))
    assert [(s.number, s.title, s.status) for s in first] == [
        ("1.1", "Синтаксис", "published"),
        ("1.2", "Типы", "published"),
    ]
    assert "hl-" in first[0].material_html
    second = list(parts[1].sections.order_by("order"))
    assert [(s.number, s.title, s.status, s.topics) for s in second] == [
        ("2.1", "Горутины", "published", ["go", "WaitGroup"]),
        ("2.2", "Каналы", "planned", ["select"]),
    ]
    assert parts[1].description == "Горутины, каналы и context."
    assert parts[1].study_time == "1 неделя"
    assert second[0].material.startswith("# Горутины")


def test_mdbook_reimport_is_idempotent_and_edits_update_in_place(book):
    course_import(path=book)
    ids = dict(Section.objects.values_list("number", "id"))
    before = snapshot()

    assert not course_import(path=book).changed
    assert snapshot() == before

    write(book / "part1-basics/02_types.md", "# Типы\n\nТеперь и дженерики.\n")
    report = course_import(path=book)
    assert report.updated == ["section 1.2 Типы: material, material_html"]
    assert dict(Section.objects.values_list("number", "id")) == ids
    assert "дженерики" in Section.objects.get(number="1.2").material_html


def test_the_demo_course_folder_imports(tmp_path):
    call_command("load_demo", "--no-exercises", stdout=StringIO(), stderr=StringIO())
    part = Part.objects.get(course__slug="go-for-csharp", number=4)
    assert part.sections.filter(status="published").count() == 7
    assert all(s.material_html for s in part.sections.all())
    out = StringIO()
    call_command("load_demo", "--no-exercises", stdout=out, stderr=StringIO())
    assert "0 created, 0 updated, 0 archived" in out.getvalue()


# --- bad input: one line naming file and line, non-zero exit, nothing written ----


def assert_refused(path: Path, pattern: str, *args: str) -> None:
    before = snapshot()
    with pytest.raises(CommandError) as error:
        run_import(path, *args)
    message = str(error.value)
    assert "\n" not in message
    assert re.search(pattern, message), message
    assert snapshot() == before


def test_missing_path_is_refused(tmp_path, course):
    assert_refused(
        tmp_path / "nope.md", r"nope\.md: no such file or folder", "--course", "go-for-csharp"
    )


def test_folder_that_is_not_a_course_is_refused(tmp_path):
    write(tmp_path / "notes.md", "# Заметки\n")
    assert_refused(tmp_path, r": not a course: a folder needs SUMMARY\.md")


def test_file_that_is_not_a_part_readme_is_refused(tmp_path, course):
    path = write(tmp_path / "x.md", "Просто текст\n")
    assert_refused(path, r"x\.md:1: not a part README", "--course", course.slug)


def test_a_readme_without_its_part_title_is_refused(course, seed_7_of_7, tmp_path):
    # The one thing a part README cannot do without (issue 12: everything else imports).
    lines = seed_7_of_7.read_text(encoding="utf-8").split("\n")
    lines[0] = "# Часть четыре: Инфраструктура"
    path = write(tmp_path / "README.md", "\n".join(lines))
    assert_refused(path, r"README\.md:1: not a part README", "--course", course.slug)


@pytest.mark.parametrize(
    ("odd_line", "warning"),
    [
        ("### 4.3Очереди", r"README\.md:35: heading '### 4\.3Очереди' is kept as it is"),
        ("### 5.3 Очереди", r"README\.md:35: section 5\.3 is not numbered in part 4"),
        ("### 4.2 Дубль", r"README\.md:35: section 4\.2 is already on line 23"),
        ("## Разное", r"README\.md:35: section '## Разное' is kept as it is"),
        ("Просто абзац", None),
    ],
)
def test_odd_lines_import_with_a_warning_and_export_unchanged(
    course, seed_7_of_7, tmp_path, odd_line, warning
):
    # Regression (issue 12): a hand-written README was refused on any line outside the
    # seeds' shape. It imports now, the line named in a warning, and is written back as is.
    lines = seed_7_of_7.read_text(encoding="utf-8").split("\n")
    heading_4_3 = next(i for i, line in enumerate(lines) if line.startswith("### 4.3"))
    lines[heading_4_3] = odd_line
    text = "\n".join(lines)
    path = write(tmp_path / "README.md", text)

    report = course_import(path=path, course_slug=course.slug)

    found = "\n".join(report.warnings)
    if warning:
        assert re.search(warning.replace("35", str(heading_4_3 + 1)), found), found
    part = Part.objects.get(number=4)
    count = part.sections.exclude(status="archived").count()
    assert count == (7 if odd_line == "### 5.3 Очереди" else 6)  # (the line replaced 4.3)
    # Only the status line's figures follow the sections; every other byte is the author's.
    assert part_readme_render(part=part) == text.replace(
        "100% (7 из 7 разделов)", f"100% ({count} из {count} разделов)"
    )


def test_mdbook_link_to_a_missing_file_is_refused(book):
    (book / "part1-basics/02_types.md").unlink()
    assert_refused(book, r"SUMMARY\.md:8: link to a missing file 'part1-basics/02_types\.md'")


def test_mdbook_error_in_a_later_part_writes_nothing_of_earlier_parts(book):
    (book / "part2-concurrency/01_goroutines.md").write_bytes(b"# \xcf\xf0\xe8\xe2\xe5\xf2\n")
    assert_refused(book, r"01_goroutines\.md:1: not UTF-8")
    assert not Course.objects.exists()


def test_binary_file_is_refused(tmp_path, course):
    path = tmp_path / "README.md"
    path.write_bytes(b"# \xd0\xa7\n\x00\x01\x02binary")
    assert_refused(path, r"README\.md:2: binary file", "--course", course.slug)


def test_non_utf8_file_is_refused_with_its_line(tmp_path, course, seed_7_of_7):
    text = seed_7_of_7.read_text(encoding="utf-8")
    path = tmp_path / "README.md"
    path.write_bytes(
        text.encode("utf-8").replace("Кэширование".encode(), "Кэширование".encode("cp1251"))
    )
    assert_refused(path, r"README\.md:23: not UTF-8", "--course", course.slug)


def test_link_leaving_the_book_is_refused(book):
    summary = book / "SUMMARY.md"
    summary.write_text(
        summary.read_text(encoding="utf-8").replace("part1-basics/02_types.md", "../../etc/passwd"),
        encoding="utf-8",
    )
    assert_refused(book, r"SUMMARY\.md:8: link '\.\./\.\./etc/passwd' points outside the book")


PLANNED_PART = """# Часть 4: Инфраструктура

## Материалы

1. **[01_docker.md](./01_docker.md)** — Docker

### 4.2 Helm
- чарты

### 4.3 Terraform
- провайдеры
"""


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        # Helm leaves: Terraform, now 4.2, keeps its own row (Helm's is archived, not renamed).
        (lambda text: text.replace("### 4.2 Helm\n- чарты\n\n### 4.3", "### 4.2"),
         [("4.1", "Docker"), ("4.2", "Terraform")]),
        # Ansible comes in before them: each keeps its row under its new number.
        (lambda text: text.replace("### 4.2 Helm", "### 4.2 Ansible\n\n### 4.3 Helm").replace(
            "### 4.3 Terraform", "### 4.4 Terraform"),
         [("4.1", "Docker"), ("4.2", "Ansible"), ("4.3", "Helm"), ("4.4", "Terraform")]),
    ],
)  # fmt: skip
def test_planned_sections_without_a_file_keep_their_rows_when_renumbered(
    course, tmp_path, edit, expected
):
    # Regression (issue 12 review): sections without a file were matched by number only, so
    # removing or inserting one moved every later section's row (and the quizzes, exercises
    # and progress hanging off it) to another section.
    path = write(tmp_path / "README.md", PLANNED_PART)
    course_import(path=path, course_slug=course.slug)
    ids = dict(Section.objects.values_list("title", "id"))

    write(path, edit(PLANNED_PART))
    course_import(path=path, course_slug=course.slug)

    live = Section.objects.exclude(status="archived").order_by("order")
    assert [(s.number, s.title) for s in live] == expected
    for section in live:
        if section.title in ids:
            assert section.id == ids[section.title], section.title
    again = course_import(path=path, course_slug=course.slug)
    assert not again.changed, again.lines()


def test_two_sections_of_one_file_keep_their_rows(course, tmp_path):
    # Regression (issue 12 review): a file linked by two sections ("./01.md#structs") gave
    # one row to both, so every re-import archived one and swapped the other.
    path = write(
        tmp_path / "README.md",
        "# Часть 2: Типы\n\n## Материалы\n\n1. [Базовые типы](./01_types.md)\n"
        "2. [Структуры](./01_types.md#structs)\n",
    )
    course_import(path=path, course_slug=course.slug)
    before = sorted(Section.objects.values_list("id", "number", "title", "status"))

    again = course_import(path=path, course_slug=course.slug)

    assert not again.changed, again.lines()
    assert sorted(Section.objects.values_list("id", "number", "title", "status")) == before
    assert [s[3] for s in before] == ["published", "published"]


@pytest.mark.parametrize(
    ("base", "edit", "moves"),
    [
        # A file two sections shared is split: each keeps its row (both were archived).
        ("1. [Очереди](./01_q.md)\n2. [Повторы](./01_q.md#retries)\n",
         "1. [Очереди](./01_q.md)\n2. [Повторы](./02_retries.md)\n",
         {"4.1 Очереди": "4.1 Очереди", "4.2 Повторы": "4.2 Повторы"}),
        # Two sections of one title, a section inserted before them: each keeps its own.
        ("1. [Очереди](./01_q.md)\n2. Практика\n3. [Kafka](./03_k.md)\n4. Практика\n",
         "1. [Очереди](./01_q.md)\n2. NATS\n3. Практика\n4. [Kafka](./03_k.md)\n5. Практика\n",
         {"4.1 Очереди": "4.1 Очереди", "4.2 Практика": "4.3 Практика",
          "4.3 Kafka": "4.4 Kafka", "4.4 Практика": "4.5 Практика"}),
        # A title changed while a section is inserted before it: it keeps its row, the new
        # one gets a new row (not the renamed one's, by its old number).
        ("1. [Очереди](./01_q.md)\n2. Kafka\n3. NATS\n",
         "1. [Очереди](./01_q.md)\n2. RabbitMQ\n3. Kafka и Go\n4. NATS\n",
         {"4.1 Очереди": "4.1 Очереди", "4.2 Kafka": "4.3 Kafka и Go", "4.3 NATS": "4.4 NATS"}),
        # One more section of a title two others have, at the top: theirs stay theirs.
        ("1. Kafka\n2. Практика\n3. NATS\n4. Практика\n",
         "1. RabbitMQ\n2. Практика\n3. Kafka\n4. Практика\n5. NATS\n6. Практика\n",
         {"4.1 Kafka": "4.3 Kafka", "4.2 Практика": "4.4 Практика", "4.3 NATS": "4.5 NATS",
          "4.4 Практика": "4.6 Практика"}),
        # Renamed in place: each keeps its row by where it stands.
        ("1. Введение\n2. Каналы\n3. Итоги\n",
         "1. Первые шаги\n2. Каналы\n3. Что дальше\n",
         {"4.1 Введение": "4.1 Первые шаги", "4.3 Итоги": "4.3 Что дальше"}),
        # A planned section written, renamed and moved above another that is renamed: each
        # keeps its own row, by a title much like its old one.
        ("1. [Горутины](./01_g.md)\n2. Каналы\n3. Select\n",
         "1. [Горутины](./01_g.md)\n2. [Оператор select](./03_select.md)\n"
         "3. Буферизованные каналы\n",
         {"4.2 Каналы": "4.3 Буферизованные каналы", "4.3 Select": "4.2 Оператор select"}),
        # Several sections of one title, a run of two removed: the others keep theirs.
        ("1. Kafka\n2. Практика\n3. NATS\n4. Практика\n5. Redis\n6. Практика\n",
         "1. Kafka\n2. Практика\n3. Redis\n4. Практика\n",
         {"4.1 Kafka": "4.1 Kafka", "4.2 Практика": "4.2 Практика", "4.5 Redis": "4.3 Redis",
          "4.6 Практика": "4.4 Практика"}),
    ],
)  # fmt: skip
def test_each_section_keeps_its_row_through_edits(course, tmp_path, base, edit, moves):
    # Regression (issue 12, third and fourth reviews): rows went to the wrong section, or
    # were archived and made again on every import.
    head = "# Часть 4: Инфраструктура\n\n## Материалы\n\n"
    path = write(tmp_path / "README.md", head + base)
    course_import(path=path, course_slug=course.slug)
    ids = {f"{number} {title}": pk for pk, number, title in Section.objects.values_list(
        "id", "number", "title")}  # fmt: skip

    write(path, head + edit)
    course_import(path=path, course_slug=course.slug)

    live_before = {ids[before] for before in moves}
    assert not Section.objects.filter(status="archived", id__in=live_before).exists()
    now = {pk: f"{number} {title}" for pk, number, title in Section.objects.values_list(
        "id", "number", "title")}  # fmt: skip
    assert {before: now[ids[before]] for before in moves} == moves
    again = course_import(path=path, course_slug=course.slug)
    assert not again.changed, again.lines()


def test_an_archived_section_comes_back_by_its_file_not_into_another_row(course, tmp_path):
    # Regression (issue 12, fifth review): Kafka removed (archived), RabbitMQ added in its
    # place, then Kafka restored: Kafka's row must come back, not RabbitMQ's be renamed.
    head = "# Часть 4: Очереди\n\n## Материалы\n\n1. [Очереди](./01_q.md)\n"
    path = write(tmp_path / "README.md", head + "2. [Kafka](./02_kafka.md)\n")
    course_import(path=path, course_slug=course.slug)
    kafka = Section.objects.get(title="Kafka").pk
    write(path, head)
    course_import(path=path, course_slug=course.slug)
    write(path, head + "2. RabbitMQ\n")
    course_import(path=path, course_slug=course.slug)
    rabbit = Section.objects.get(title="RabbitMQ").pk

    write(path, head + "2. [Kafka](./02_kafka.md)\n")
    course_import(path=path, course_slug=course.slug)

    assert Section.objects.get(pk=kafka).status == "published"
    assert Section.objects.get(pk=rabbit).status == "archived"


def test_the_demo_learner_is_enrolled_and_their_work_is_kept():
    """The demo learner sees the demo course on their dashboard (issue 22, item 7); running
    load_demo again adds only what is missing and keeps what the learner did."""
    from django.contrib.auth.models import User

    from progress.models import Enrollment, SectionProgress
    from progress.services import section_mark_read

    call_command("load_demo", "--no-exercises", stdout=StringIO(), stderr=StringIO())
    learner = User.objects.get(username="learner")
    instructor = User.objects.get(username="instructor")
    assert Enrollment.objects.filter(learner=learner, course__slug="go-for-csharp").count() == 1
    assert not Enrollment.objects.filter(learner=instructor).exists()
    enrolment = Enrollment.objects.get(learner=learner)
    section = Part.objects.get(course__slug="go-for-csharp", number=4).sections.first()
    section_mark_read(learner=learner, section=section)
    learner.set_password("changed-by-the-learner-2026")
    learner.save()

    out = StringIO()
    call_command("load_demo", "--no-exercises", stdout=out, stderr=StringIO())

    assert "enrolled" not in out.getvalue()
    assert list(Enrollment.objects.filter(learner=learner)) == [enrolment]
    assert SectionProgress.objects.get(learner=learner, section=section).material_read_at
    learner.refresh_from_db()
    assert learner.check_password("changed-by-the-learner-2026")


def test_load_demo_enrols_a_demo_learner_created_before_enrolment_existed():
    from django.contrib.auth.models import User

    from progress.models import Enrollment

    call_command("load_demo", "--no-exercises", stdout=StringIO(), stderr=StringIO())
    Enrollment.objects.all().delete()  # a database loaded by an older load_demo

    out = StringIO()
    call_command("load_demo", "--no-exercises", stdout=out, stderr=StringIO())

    assert "demo user learner enrolled in go-for-csharp" in out.getvalue()
    assert Enrollment.objects.filter(learner=User.objects.get(username="learner")).exists()
