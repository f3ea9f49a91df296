"""A whole book in mdBook's layout: 7 parts at different stages, nested chapters, drafts, and
part READMEs of every shape (or none). Every `# Часть N` becomes a part and every chapter a
section, whatever the part folder's README says."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from courses.models import Course, Part, Section
from courses.readme_export import part_readme_render
from courses.services import course_import
from tests.conftest import REPO_DIR

pytestmark = pytest.mark.django_db

CORPUS = REPO_DIR / "tests" / "data" / "readmes"
STAGES = ["stub", "numbered", "none", "seed", "unknown", "wrong_number", "stub"]


def generated_book(root: Path) -> dict[str, tuple[str, bool]]:
    """Write the book; return what SUMMARY.md lists: section number -> (title, written?)."""
    expected: dict[str, tuple[str, bool]] = {}
    summary = ["# Содержание", "", "[Введение](intro.md)", ""]
    (root / "intro.md").parent.mkdir(parents=True, exist_ok=True)
    (root / "intro.md").write_text("О курсе.\n", encoding="utf-8")
    (root / "book.toml").write_text('[book]\ntitle = "Go для C#"\n', encoding="utf-8")
    for number, stage in enumerate(STAGES, start=1):
        folder = root / f"part{number}"
        folder.mkdir()
        summary += [f"# Часть {number}: Тема {number}", ""]
        for chapter in range(1, 4):
            written = chapter <= number % 3 + 1  # parts at different stages
            file = f"part{number}/{chapter:02}_chapter.md"
            title = f"Глава {number}.{chapter}"
            if written:
                (root / file).write_text(f"# {title}\n\nТекст главы.\n", encoding="utf-8")
            # Numbered titles in odd parts, plain in even ones (numbered by position).
            shown = f"{number}.{chapter} {title}" if number % 2 else title
            summary.append(f"- [{shown}]({file if written else ''})")
            expected[f"{number}.{chapter}"] = (title, written)
            if chapter == 2 and written:  # nested chapters, two levels deep
                for sub in range(1, 3):
                    sub_file = f"part{number}/{chapter:02}_{sub}_sub.md"
                    (root / sub_file).write_text(f"# Подглава {sub}\n", encoding="utf-8")
                    summary.append(f"    - [Подглава {number}.{chapter}.{sub}]({sub_file})")
                    expected[f"{number}.{chapter}.{sub}"] = (
                        f"Подглава {number}.{chapter}.{sub}",
                        True,
                    )
                summary.append(f"        - [Черновик {number}.{chapter}.2.1]()")
                expected[f"{number}.{chapter}.2.1"] = (f"Черновик {number}.{chapter}.2.1", False)
        summary.append("")
        readme = folder / "README.md"
        if stage == "stub":
            readme.write_text(f"# Часть {number}: Тема {number}\n\n---\n", encoding="utf-8")
        elif stage == "numbered":
            readme.write_text(
                f"# Часть {number}: Тема {number}\n\n## Материалы\n\n### ✅ Завершено\n\n"
                f"1. **[01_chapter.md](./01_chapter.md)** — Глава {number}.1\n"
                "   - тема первой главы\n",
                encoding="utf-8",
            )
        elif stage == "seed":
            readme.write_text(
                (CORPUS / "04_hyphen_status.md").read_text(encoding="utf-8").replace(
                    "Часть 1:", f"Часть {number}:"
                ).replace("### 1.", f"### {number}."),
                encoding="utf-8",
            )  # fmt: skip
        elif stage == "unknown":
            readme.write_text(
                f"# Часть {number}: Тема {number}\n\nВступление.\n\n## Проекты\n\n- что-то\n",
                encoding="utf-8",
            )
        elif stage == "wrong_number":
            readme.write_text("# Часть 99: Не та часть\n", encoding="utf-8")
    (root / "SUMMARY.md").write_text("\n".join(summary) + "\n", encoding="utf-8")
    return expected


def test_a_book_of_seven_parts_at_different_stages_imports_whole(tmp_path):
    root = tmp_path / "book"
    expected = generated_book(root)

    report = course_import(path=root)

    course = Course.objects.get(slug="book")
    assert course.title == "Go для C#"
    assert list(course.parts.order_by("number").values_list("number", flat=True)) == list(
        range(1, 8)
    )
    sections = Section.objects.filter(part__course=course).exclude(status="archived")
    found = {s.number: (s.title, s.status == "published") for s in sections}
    # Every chapter of SUMMARY.md, nested and draft ones too (the seed-shaped README's
    # planned section 4.3 is SUMMARY.md's 4.3 as well).
    assert {n: v for n, v in found.items() if n in expected} == expected
    assert set(found) == set(expected)
    assert any("README is part 99 but SUMMARY.md lists it as part 6" in w for w in report.warnings)
    assert any("section '## Проекты' is kept as it is" in w for w in report.warnings)
    # A README adds what SUMMARY.md does not say: topics and the study time.
    assert Section.objects.get(number="2.1").topics == ["тема первой главы"]
    assert Part.objects.get(number=4).study_time == "1-2 недели"
    assert Part.objects.get(number=6).title == "Тема 6"  # not the README of another part

    again = course_import(path=root)
    assert not again.changed, again.lines()


def test_a_part_readme_of_a_book_is_exported_as_written(tmp_path):
    root = tmp_path / "book"
    generated_book(root)
    course_import(path=root)
    for number in (1, 2, 4, 5):
        part = Part.objects.get(number=number)
        written = (root / f"part{number}" / "README.md").read_text(encoding="utf-8")
        exported = part_readme_render(part=part)
        if number == 4:  # its status follows SUMMARY.md: 4 of 6 chapters (nested too) written
            assert exported == written.replace("67% (2 из 3 разделов)", "67% (4 из 6 разделов)")
            assert exported != written
        else:
            assert exported == written


def test_the_demo_book_still_imports(tmp_path):
    shutil.copytree(REPO_DIR / "demo" / "course", tmp_path / "course")
    report = course_import(path=tmp_path / "course")
    assert Part.objects.count() >= 1
    assert not [w for w in report.warnings if "is kept as it is" in w], report.warnings


def write_files(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")


def test_each_part_finds_its_own_readme_in_the_usual_book_layouts(tmp_path):
    # Regression (issue 12 review): a part's own page listed first became section N.1 and
    # pushed the real N.1 out; a part of drafts only, or whose chapters sit one folder
    # down, never read its README; a "[]" in a chapter title refused the whole book.
    root = tmp_path / "book"
    write_files(root, {
        "SUMMARY.md": (
            "# Summary\n\n"
            "# Часть 1: Основы\n\n"
            "- [Часть 1: Основы](part1/README.md)\n"
            "    - [1.1 Установка](part1/01_setup.md)\n"
            "    - [[]byte и строки](part1/02_bytes.md)\n"
            "        - [Срезы `s[i:j]`](part1/03_slices.md)\n\n"
            "# Часть 2: Конкурентность\n\n"
            "- [Горутины]()\n"
            "- [Каналы]()\n\n"
            "# Часть 3: Пакеты\n\n"
            "- [Модули](part3/chapters/modules.md)\n"
        ),
        "part1/README.md": "# Часть 1: Основы\n\nПервые шаги.\n",
        "part1/01_setup.md": "# Установка\n",
        "part1/02_bytes.md": "# Байты\n",
        "part1/03_slices.md": "# Срезы\n",
        "concurrency/README.md": (
            "# Часть 2: Конкурентность\n\nГорутины и каналы.\n\n"
            "## Время изучения\n\n**Примерно**: 2 недели\n"
        ),
        "part3/README.md": "# Часть 3: Пакеты\n\nМодули и пакеты.\n",
        "part3/chapters/modules.md": "# Модули\n",
    })  # fmt: skip

    report = course_import(path=root)

    sections = {
        s.number: (s.title, s.status, s.source_path)
        for s in Section.objects.filter(part__course__slug="book")
    }
    assert sections == {
        "1.1": ("Установка", "published", "01_setup.md"),
        "1.2": ("[]byte и строки", "published", "02_bytes.md"),
        "1.2.1": ("Срезы `s[i:j]`", "published", "03_slices.md"),
        "2.1": ("Горутины", "planned", ""),
        "2.2": ("Каналы", "planned", ""),
        "3.1": ("Модули", "published", "chapters/modules.md"),
    }
    parts = {p.number: p for p in Part.objects.all()}
    assert (parts[1].slug, parts[1].description) == ("part1", "Первые шаги.")
    assert (parts[2].slug, parts[2].description, parts[2].study_time) == (
        "concurrency", "Горутины и каналы.", "2 недели",
    )  # fmt: skip
    assert (parts[3].slug, parts[3].description) == ("part3", "Модули и пакеты.")
    assert not [w for w in report.warnings if "already on line" in w], report.warnings


def test_a_part_readme_beside_its_index_page_describes_the_drafts(tmp_path):
    # Regression (issue 12 review): with "index.md" as the part's page, the README beside it
    # was never read; a README's sections were matched to SUMMARY.md's by number only, so a
    # draft listed first took another section's topics and the export linked a wrong file.
    root = tmp_path / "book"
    readme = (
        "# Часть 4: Веб\n\n## Статус\n\n🚧 **В разработке** — 67% (2 из 3 разделов)\n\n"
        "## Материалы\n\n1. **[01_http.md](./01_http.md)** — net/http\n   - Handler\n"
        "2. **[02_routing.md](./02_routing.md)** — Роутинг\n   - chi\n"
        "3. **03_intro.md** — Введение в веб\n   - история\n"
    )
    write_files(root, {
        "SUMMARY.md": (
            "# Часть 4: Веб\n\n- [Обзор](part4/index.md)\n    - [Введение в веб]()\n"
            "    - [net/http](part4/01_http.md)\n    - [Роутинг](part4/02_routing.md)\n"
        ),
        "part4/index.md": "# Веб\n\nОбзор части.\n",
        "part4/README.md": readme,
        "part4/01_http.md": "# net/http\n",
        "part4/02_routing.md": "# Роутинг\n",
    })  # fmt: skip

    report = course_import(path=root)

    sections = {s.number: (s.title, s.status, s.topics) for s in Section.objects.order_by("number")}
    assert sections == {
        "4.1": ("Введение в веб", "planned", ["история"]),
        "4.2": ("net/http", "published", ["Handler"]),
        "4.3": ("Роутинг", "published", ["chi"]),
    }
    assert not [w for w in report.warnings if "already on line" in w], report.warnings
    assert part_readme_render(part=Part.objects.get(number=4)) == readme
    Section.objects.filter(number="4.3").update(status=Section.Status.PLANNED)
    exported = part_readme_render(part=Part.objects.get(number=4))
    assert "2. **[02_routing.md](./02_routing.md)** — Роутинг 🚧\n" in exported
    assert "3. **03_intro.md** — Введение в веб\n" in exported


def test_a_planned_readme_section_summary_does_not_list_yet_is_kept(tmp_path):
    # Regression (issue 12, third review): SUMMARY.md numbers by position, so a README's
    # planned 4.3 whose number SUMMARY.md gave another chapter was dropped, and the export
    # then linked that chapter's file on the planned section's line.
    root = tmp_path / "book"
    readme = (
        "# Часть 4: Веб\n\n## Материалы\n\n### 4.1 [net/http](./01_http.md) ✅\n\n"
        "### 4.2 Middleware\n- цепочки\n\n### 4.3 [Роутинг](./02_routing.md) ✅\n- ServeMux\n"
    )
    write_files(root, {
        "SUMMARY.md": "# Часть 4: Веб\n\n- [net/http](part4/01_http.md)\n"
                      "- [Роутинг](part4/02_routing.md)\n",
        "part4/README.md": readme,
        "part4/01_http.md": "# net/http\n",
        "part4/02_routing.md": "# Роутинг\n",
    })  # fmt: skip

    course_import(path=root)

    sections = {s.number: (s.title, s.status, s.topics) for s in Section.objects.all()}
    assert sections == {
        "4.1": ("net/http", "published", []),
        "4.2": ("Роутинг", "published", ["ServeMux"]),
        "4.3": ("Middleware", "planned", ["цепочки"]),
    }
    assert part_readme_render(part=Part.objects.get(number=4)) == readme


def test_a_part_of_projects_imports_each_project_as_a_section_with_its_chapters(tmp_path):
    # Regression (issue 20, item 7): a part whose items are project folders, each with its own
    # README.md and chapters nested under it, took the first project's README for the part's
    # page and ended the import in a raw ValueError ("… is not in the subpath of …").
    root = tmp_path / "book"
    write_files(root, {
        "SUMMARY.md": (
            "# Часть 5: Проекты\n\n"
            "- [Проект 1: Сокращатель ссылок](part5/shortener/README.md)\n"
            "    - [Архитектура](part5/shortener/01_arch.md)\n"
            "    - [API](part5/shortener/02_api.md)\n"
            "- [Проект 2: Чат](part5/chat/README.md)\n"
            "    - [WebSocket](part5/chat/01_ws.md)\n"
            "        - [Пинг и понг](part5/chat/ws/ping.md)\n"
            "    - [Нагрузка]()\n"
        ),
        "part5/README.md": "# Часть 5: Проекты\n\nДва проекта от начала до конца.\n",
        "part5/shortener/README.md": "# Сокращатель ссылок\n\nЧто строим.\n",
        "part5/shortener/01_arch.md": "# Архитектура\n",
        "part5/shortener/02_api.md": "# API\n",
        "part5/chat/README.md": "# Чат\n",
        "part5/chat/01_ws.md": "# WebSocket\n",
        "part5/chat/ws/ping.md": "# Пинг\n",
    })  # fmt: skip

    course_import(path=root)

    sections = {
        s.number: (s.title, s.status, s.source_path, s.material)
        for s in Section.objects.filter(part__course__slug="book")
    }
    assert sections == {
        "5.1": ("Проект 1: Сокращатель ссылок", "published", "shortener/README.md",
                "# Сокращатель ссылок\n\nЧто строим.\n"),
        "5.1.1": ("Архитектура", "published", "shortener/01_arch.md", "# Архитектура\n"),
        "5.1.2": ("API", "published", "shortener/02_api.md", "# API\n"),
        "5.2": ("Проект 2: Чат", "published", "chat/README.md", "# Чат\n"),
        "5.2.1": ("WebSocket", "published", "chat/01_ws.md", "# WebSocket\n"),
        "5.2.1.1": ("Пинг и понг", "published", "chat/ws/ping.md", "# Пинг\n"),
        "5.2.2": ("Нагрузка", "planned", "", ""),
    }  # fmt: skip
    part = Part.objects.get(number=5)
    assert (part.slug, part.description) == ("part5", "Два проекта от начала до конца.")
    # and the part's README is written back as before
    assert part_readme_render(part=part).startswith("# Часть 5: Проекты\n")


def test_a_part_page_listed_first_with_its_chapters_after_it_unnested_stays_the_part(tmp_path):
    # (what a part page always meant: the projects' rule above must not renumber such books)
    root = tmp_path / "book"
    write_files(root, {
        "SUMMARY.md": (
            "# Часть 1: Основы\n\n"
            "- [Часть 1: Основы](part1/README.md)\n"
            "- [Установка](part1/01_setup.md)\n"
            "- [Байты](part1/02_bytes.md)\n"
        ),
        "part1/README.md": "# Часть 1: Основы\n\nПервые шаги.\n",
        "part1/01_setup.md": "# Установка\n",
        "part1/02_bytes.md": "# Байты\n",
    })  # fmt: skip

    course_import(path=root)

    sections = Section.objects.filter(part__course__slug="book").order_by("number")
    assert [(s.number, s.source_path) for s in sections] == [
        ("1.1", "01_setup.md"), ("1.2", "02_bytes.md"),
    ]  # fmt: skip
    assert Part.objects.get(number=1).description == "Первые шаги."


def test_a_part_page_whose_chapters_sit_beside_its_folder_imports(tmp_path):
    root = tmp_path / "book"
    write_files(root, {
        "SUMMARY.md": (
            "# Часть 1: Основы\n\n"
            "- [Часть 1: Основы](part1/intro/README.md)\n"
            "    - [Установка](part1/setup.md)\n"
        ),
        "part1/intro/README.md": "# Часть 1: Основы\n\nПервые шаги.\n",
        "part1/setup.md": "# Установка\n",
    })  # fmt: skip

    course_import(path=root)

    (section,) = Section.objects.filter(part__course__slug="book")
    assert (section.number, section.source_path) == ("1.1", "setup.md")


FOLDERS = ["", "p1", "p1/a", "p2", "p2/b/c", "../outside"]
NAMES = ["README.md", "index.md", "ch.md", "x y.md", "часть.md"]


def random_book(rng, root: Path) -> None:
    """A SUMMARY.md of random parts, nesting, links (present, missing, drafts, outside the
    book), numbered and plain titles, and READMEs here and there."""
    lines = []
    for part in range(1, rng.randint(1, 3) + 1):
        heading = rng.choice([f"# Часть {part}: Тема", "# Тема без номера", f"# Part {part}: T"])
        lines += [heading, ""]
        depth = 0
        for _ in range(rng.randint(0, 6)):
            depth = rng.randint(0, depth + 1)
            folder, name = rng.choice(FOLDERS), rng.choice(NAMES)
            link = "" if rng.random() < 0.15 else f"{folder}/{name}".lstrip("/")
            title = rng.choice(["Глава", f"{part}.{rng.randint(1, 3)} Глава", "[]byte", "Часть 1"])
            lines.append("    " * depth + f"- [{title}]({link})")
            if link and rng.random() < 0.85 and not link.startswith(".."):
                (root / link).parent.mkdir(parents=True, exist_ok=True)
                (root / link).write_text(rng.choice(["# Глава\n", "", "\ufeff# BOM\n"]))
        lines.append("")
    for folder in FOLDERS[1:-1]:
        if rng.random() < 0.5:
            (root / folder).mkdir(parents=True, exist_ok=True)
            (root / folder / "README.md").write_text(
                rng.choice(["# Часть 1: Тема\n\nОписание.\n", "# Проект\n", "", "# Часть 9: X\n"])
            )
    (root / "SUMMARY.md").write_text("\n".join(lines))


def test_no_book_ends_an_import_in_anything_but_a_clear_refusal(tmp_path):
    import random

    from courses.services import CourseImportError

    imported = refused = 0
    for seed in range(150):
        rng = random.Random(seed)
        root = tmp_path / f"book{seed}" / "book"
        root.mkdir(parents=True)
        random_book(rng, root)
        try:
            course_import(path=root, dry_run=True)
            imported += 1
        except CourseImportError as error:
            message = str(error)
        else:
            continue
        assert message.startswith(str(tmp_path)), message  # names the file
        refused += 1
    assert imported > 20
    assert refused > 20
