"""Reading a README's blocks and writing it back (courses.part_readme.reading, .writing)."""

from __future__ import annotations

from courses.part_readme.reading import parse_part_readme, part_number_of
from courses.part_readme.writing import part_readme_rewrite

README = (
    "# Часть 4: Инфраструктура\n\n"
    "Сервисы в продакшене.\n\n"
    "## Статус\n\n🚧 **В разработке** — 50% (1 из 2 разделов)\n\n"
    "## Материалы\n\n"
    "- [4.1 Ретраи](./01_retry.md) ✅\n"
    "- 4.2 Кэширование 🚧\n"
)


def test_a_title_in_a_code_block_is_not_the_parts():
    assert part_number_of("```\n# Часть 9: нет\n```\n# Часть 4: Инфраструктура\n") == 4


def test_the_blocks_of_a_readme():
    readme = parse_part_readme(README)

    assert (readme.number, readme.title, readme.description) == (
        4, "Инфраструктура", "Сервисы в продакшене."
    )  # fmt: skip
    assert (readme.status.done, readme.status.total) == (1, 2)
    assert [(s.number, s.published) for s in readme.sections] == [("4.1", True), ("4.2", False)]


def test_writing_back_with_nothing_changed_is_the_input():
    same = part_readme_rewrite(README, published={"4.1": True, "4.2": False}, done=1, total=2)
    assert same == README


def test_writing_back_a_section_written_since_changes_two_lines():
    written = part_readme_rewrite(README, published={"4.1": True, "4.2": True}, done=2, total=2)

    changed = [
        (old, new)
        for old, new in zip(README.splitlines(), written.splitlines(), strict=True)
        if old != new
    ]
    assert changed == [
        (
            "🚧 **В разработке** — 50% (1 из 2 разделов)",
            "✅ **Завершено** — 100% (2 из 2 разделов)",
        ),
        ("- 4.2 Кэширование 🚧", "- 4.2 Кэширование ✅"),
    ]
