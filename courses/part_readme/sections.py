"""The sections of a README, read line by line from its blocks: headings, numbered items,
bullets and task lists, with their topics, numbers and states."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from courses.part_readme.lines import (
    BLOCK_STATES,
    BOLD_LINE_RE,
    BULLET_RE,
    HEADING_RE,
    LEADING_MARKS_RE,
    MARKS,
    NUMBERED_ITEM_RE,
    SECTION_KINDS,
    SECTION_NUMBER_RE,
    TASK_RE,
    find_links,
    item_title_and_file,
    line_state,
    material_path,
    plain_text,
    subheading_state,
    without_links,
)
from courses.part_readme.model import ReadmeSection


class Numbered(Protocol):
    @property
    def number(self) -> str: ...
    @property
    def line(self) -> int: ...


N = TypeVar("N", bound=Numbered)


def first_of_each_number(sections: list[N], warnings: list[str], where: str = "") -> list[N]:
    """The sections with a number not seen before; each later one named in `warnings`."""
    seen: dict[str, int] = {}
    unique = []
    for section in sections:
        if section.number in seen:
            warnings.append(
                f"{where}{section.line}: section {section.number} is already on line "
                f"{seen[section.number]}; this one is not imported"
            )
            continue
        seen[section.number] = section.line
        unique.append(section)
    return unique


@dataclass
class _Open:
    number: str
    title: str
    published: bool
    source_path: str
    linked: bool
    line: int
    block_state: bool | None
    shape: str
    indent: int = 0
    topics: list[str] = field(default_factory=list)


def _is_topic(current: _Open, indent: int, *, numbered: bool, names_file: bool) -> bool:
    """Whether a list line under a section is one of its topics: any list under a heading
    (but a numbered item at the margin that names its Markdown file, the next section);
    under a numbered item, bullets at any indent and numbered lines indented under it;
    under a bullet, what is indented under it."""
    if current.shape == "heading":
        return not (numbered and indent == 0 and names_file)
    if current.shape == "item" and not numbered:
        return True
    return indent > current.indent


@dataclass
class _Block:
    """Where the reader is in one `##` block of sections."""

    kind: str
    # What an unmarked `### 4.3 Title` heading means: its ## block's word (planned in one
    # "Материалы" block, as the course writes planned sections).
    headings_default: bool | None
    # What an unmarked list item means: the last "### ✅ Завершено" / "### 🚧 В разработке"
    # sub-heading's word, and that sub-heading's level (a deeper heading takes it too).
    default: bool | None
    default_level: int = 1
    current: _Open | None = None
    # Whether a bare bullet ("- Kafka") is a section: in a block or under a sub-heading that
    # says what its lines are. Under a heading it cannot read, lists are that heading's text.
    bare_bullets: bool = False
    after_unknown: bool = False
    # The level of the last section heading that had no number ("### [Title](./x.md)").
    unnumbered_level: int | None = None


class SectionReader:
    """The sections of a README's blocks, in order, numbered as the author means them.

    A `### 4.3 Title` heading carries its number. A list item takes the part's next number:
    its list's own (`3.` is N.3) unless that goes back (a list restarted after a
    sub-heading, or `1.` on every item, as Markdown allows), then the one after the last.
    Under a section, lists (numbered or not, at any indent) are its topics.
    """

    def __init__(
        self, *, part: int, view: Sequence[str], references: Mapping[str, str], warnings: list[str]
    ) -> None:
        self.part = part
        self.view = view
        self.references = references
        self.warnings = warnings
        self.found: list[_Open] = []
        self.taken: set[str] = set()  # their numbers
        self.last = 0  # the highest N.x number given so far

    def sections(self) -> list[ReadmeSection]:
        for section in self.found:
            if section.number.split(".")[0] != str(self.part):
                self.warnings.append(
                    f"{section.line}: section {section.number} is not numbered in part {self.part}"
                )
        return [
            ReadmeSection(
                number=s.number, title=s.title, published=s.published, topics=tuple(s.topics),
                source_path=s.source_path, linked=s.linked, line=s.line,
                block_state=s.block_state, shape=s.shape,
            )
            for s in self.found
        ]  # fmt: skip

    def _next_number(self, wanted: int | None = None) -> str:
        minor = wanted if wanted is not None and wanted > self.last else self.last + 1
        while f"{self.part}.{minor}" in self.taken:
            minor += 1
        self.last = minor
        return f"{self.part}.{minor}"

    def _explicit(self, number: str) -> str:
        major, _, rest = number.partition(".")
        if major == str(self.part) and rest.isdigit():
            self.last = max(self.last, int(rest))
        return number

    def read_block(self, kind: str, indexes: list[int]) -> None:
        block = _Block(
            kind=kind,
            headings_default=BLOCK_STATES.get(kind),
            default=BLOCK_STATES.get(kind),
            bare_bullets=kind in {"published", "planned"},
        )
        for index in indexes:
            line = self.view[index]
            if not line.strip():
                continue
            if heading := HEADING_RE.match(line):
                self._heading(block, index, len(heading.group(1)), heading.group(2))
                continue
            item = NUMBERED_ITEM_RE.match(line)
            bullet = None if item else BULLET_RE.match(line)
            if item is None and bullet is None:
                self._other_line(block, index, line)
                continue
            listed = item or bullet
            assert listed is not None
            indent = len(listed.group(1).expandtabs(4))
            text = (listed.group(3) if item else listed.group(2) or "").strip()
            current = block.current
            if current is not None and _is_topic(
                current, indent, numbered=item is not None,
                names_file=bool(item_title_and_file(text, self.references)[1]),
            ):  # fmt: skip
                topic = TASK_RE.sub(r"\2", text)
                explicit = SECTION_NUMBER_RE.match(plain_text(topic, self.references))
                if explicit and explicit.group(1).startswith(f"{current.number}."):
                    # "9.1.1 Title" under 9.1: a section of its own, inside 9.1
                    number = self._explicit(explicit.group(1))
                    shape = "item" if item else "bullet"
                    block.current = self._open(index, text, number, block.default, shape, item=True)
                    block.current.indent = indent
                elif topic := plain_text(topic, self.references):
                    current.topics.append(topic)
                continue
            if kind == "extra" or not text:
                block.current = None
                continue
            opened = self._item(
                block, index, text, indent, ordinal=int(item.group(2)) if item else None
            )
            if opened is None:
                self.warnings.append(f"{index + 1}: line {line.strip()!r} is kept as it is")
            block.current = opened

    def _heading(self, block: _Block, index: int, level: int, text: str) -> None:
        block.current = None
        # A heading deeper than the sub-heading that set the state takes it; another, its
        # block's word.
        default = block.default if level > block.default_level else block.headings_default
        plain = plain_text(text, self.references)
        numbered = SECTION_NUMBER_RE.match(without_links(text, find_links(text)).strip(" *_"))
        numbered = numbered or SECTION_NUMBER_RE.match(plain)
        if numbered and not (
            block.kind == "extra" and not numbered.group(1).startswith(f"{self.part}.")
        ):
            number = self._explicit(numbered.group(1))
            block.current = self._open(index, text, number, default, "heading")
            return
        if block.kind == "extra":
            return  # in a block we do not know, only "### 4.3 Title" is a section
        # Among "### [Title](./x.md)" section headings, an unlinked one is a section too
        # (a planned one, or one marked ✅ since), unless its words say it is a sub-heading.
        among_sections = level == block.unnumbered_level
        state = subheading_state(text, among_sections=among_sections)
        if state is not None:
            block.default, block.default_level = state, level
            block.after_unknown, block.bare_bullets = False, True
            return
        links_file = any(material_path(link.href) for link in find_links(text, self.references))
        if links_file or among_sections:
            # "### [Title](./05_x.md) ✅", and a planned one among them: a section heading
            # without a number.
            block.current = self._open(index, text, self._next_number(), default, "heading")
            block.unnumbered_level = level
            return
        self.warnings.append(f"{index + 1}: heading {self.view[index].strip()!r} is kept as it is")
        if level <= block.default_level:
            block.default, block.default_level = block.headings_default, 1
        block.after_unknown = True

    def _other_line(self, block: _Block, index: int, line: str) -> None:
        """A line neither heading nor list: a bold "**✅ Завершено:**" sub-heading, or text."""
        stripped = line.strip()
        bold = BOLD_LINE_RE.match(stripped)
        if bold and block.kind != "extra":
            state = subheading_state(bold.group(2))
            if state is not None:
                block.current = None
                block.default, block.default_level = state, 7  # deeper than any heading
                block.after_unknown, block.bare_bullets = False, True
                return
        if block.kind in SECTION_KINDS and stripped.startswith(("|", "[", "**[")):
            files = [
                path
                for link in find_links(stripped, self.references)
                if (path := material_path(link.href))
            ]
            if files:
                self.warnings.append(
                    f"{index + 1}: line {stripped[:80]!r} links {files[0]} but is not a list "
                    "item or a heading, so it is not read as a section"
                )

    def _item(
        self, block: _Block, index: int, text: str, indent: int, *, ordinal: int | None
    ) -> _Open | None:
        """A list item that opens a section: numbered, a task, with a section number, a
        Markdown file or a marker of its state; a bare bullet only where its block says what
        its lines are (and none under a heading it cannot read: a list of links there is not
        the part's sections)."""
        task = TASK_RE.match(text)
        if task:
            text = task.group(2)
        links = find_links(text, self.references)
        if links and all(link.href.startswith("#") for link in links):
            return None  # a table of contents of this page, not sections
        shape = "task" if task else ("item" if ordinal is not None else "bullet")
        explicit = SECTION_NUMBER_RE.match(plain_text(text, self.references))
        if explicit and explicit.group(1).startswith(f"{self.part}."):
            number = self._explicit(explicit.group(1))
        elif shape != "bullet" or (
            not block.after_unknown
            and (
                block.bare_bullets
                or item_title_and_file(text, self.references)[1]
                or any(mark in text for mark in MARKS)  # "- Кодирование JSON 🚧"
            )
        ):
            number = self._next_number(ordinal)
        else:
            return None
        opened = self._open(index, text, number, block.default, shape, item=True)
        if task:
            opened.published = task.group(1) != " "
        opened.indent = indent
        return opened

    def _open(
        self,
        index: int,
        text: str,
        number: str,
        default: bool | None,
        shape: str,
        *,
        item: bool = False,
    ) -> _Open:
        if item:
            body = LEADING_MARKS_RE.sub("", text)
            if explicit := SECTION_NUMBER_RE.match(body.strip(" *_")):
                body = explicit.group(2) if explicit.group(1) == number else text
            title, path, linked = item_title_and_file(body, self.references)
            if (numbered := SECTION_NUMBER_RE.match(title)) and numbered.group(1) == number:
                title = numbered.group(2)  # "[9.1 Роутинг](./01.md)": the number is not its title
        else:
            links = find_links(text, self.references)
            files = [p for link in links if (p := material_path(link.href))]
            path, linked = (files[0], True) if files else ("", False)
            title = plain_text(text, self.references)
            if numbered := SECTION_NUMBER_RE.match(title):
                title = numbered.group(2).strip(" —–-:|")
        opened = _Open(
            number=number,
            title=title or number,
            published=line_state(text, default, shape, self.references),
            source_path=path,
            linked=linked,
            line=index + 1,
            block_state=default,
            shape=shape,
        )
        self.found.append(opened)
        self.taken.add(number)
        return opened
