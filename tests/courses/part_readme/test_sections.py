"""The sections of a README, read from its blocks (courses.part_readme.sections)."""

from __future__ import annotations

from courses.part_readme.model import ReadmeSection
from courses.part_readme.sections import SectionReader, first_of_each_number


def test_numbered_items_with_topics_linked_or_only_named():
    view = [
        "## Материалы",
        "1. **[01_a.md](./01_a.md)** — Первый",
        "   - тема",
        "2. **02_b.md** — Второй",
    ]
    warnings: list[str] = []
    reader = SectionReader(part=4, view=view, references={}, warnings=warnings)

    reader.read_block("materials", [1, 2, 3])

    first, second = reader.sections()
    assert (first.number, first.title, first.published, first.topics) == (
        "4.1", "Первый", True, ("тема",)
    )  # fmt: skip
    assert (second.number, second.source_path, second.published, second.linked) == (
        "4.2", "02_b.md", False, False
    )  # fmt: skip
    assert warnings == []


def test_a_repeated_number_keeps_the_first_and_says_so():
    def section(number: str, line: int) -> ReadmeSection:
        return ReadmeSection(number, "T", True, (), "", False, line, None)

    warnings: list[str] = []
    kept = first_of_each_number([section("4.1", 3), section("4.1", 9)], warnings)

    assert [s.line for s in kept] == [3]
    assert warnings == ["9: section 4.1 is already on line 3; this one is not imported"]
