"""A part README as authors really write it: read tolerantly, written back line for line.

`parse_part_readme` reads any README that has a `# Часть N: Title` line (the only thing a
part README cannot do without): the course's own layout (`## Завершённые материалы` /
`## Планируемые материалы` with `### 4.1 [Title](./file.md) ✅` headings), one
`## Материалы` block with `### ✅ Завершено` / `### 🚧 В разработке` sub-headings and
numbered items (`1. **[file.md](./file.md)** — Title`, linked = written; `2. **file.md** —
Title`, planned), bullets and task lists (`- [x] …`), all of them mixed, stubs, extra
sections and free text. What it does not know is kept in the text and named in a warning,
never refused. Code blocks and HTML comments are text, never structure.

`part_readme_rewrite` is the export: the author's text with only the lines the platform
owns changed, the status line's figures and the markers of sections whose state changed,
so the git diff of an export is a line or two; with nothing changed it is the input, byte
for byte. Pure: no database, no Django.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

# --- what a README says --------------------------------------------------------------


@dataclass(frozen=True)
class ReadmeSection:
    number: str
    title: str
    published: bool
    topics: tuple[str, ...]
    source_path: str  # the material file, linked ("02_caching.md") or named ("**02.md**")
    linked: bool  # the line links its file (a written section's material)
    line: int  # 1-based
    # What its block (or sub-heading) says of its lines: written, planned, or nothing.
    block_state: bool | None
    # "heading" (### 4.1 …), "item" (1. …), "bullet" (- …) or "task" (- [x] …).
    shape: str = "heading"


@dataclass(frozen=True)
class StatusLine:
    line: int  # 1-based
    done: int
    total: int


@dataclass(frozen=True)
class PartReadme:
    number: int
    title: str
    description: str
    study_time: str
    nav_links: tuple[tuple[str, str], ...]
    sections: tuple[ReadmeSection, ...]
    status: StatusLine | None
    stated_status: str
    warnings: tuple[str, ...] = ()
    # Reference-style link targets ("[ref]: ./01_x.md"), by lower-case name.
    references: Mapping[str, str] = field(default_factory=dict)


class ReadmeError(ValueError):
    def __init__(self, line: int, message: str) -> None:
        self.line = line
        self.message = message
        super().__init__(f"{line}: {message}")


# "Часть 4: Title", "**Часть 17:** Title", "📦 Часть 3 — Title", "ЧАСТЬ 2.", "Part 8: Title"
# (Each repetition takes one character: a run of "=" or "!" cannot backtrack exponentially.
# A closing "#" run needs a space before it, so "Go глазами C#" keeps its "#".)
_PART_TITLE = (
    r"(?:[^\w\s*_]\s*)*[*_]{0,2}\s*(?:часть|part)\s+(\d+)(?![\d.]\d)"
    r"(?:[\s*_]*[:.—–-])?[\s*_]*(\S.*?)?[*_]*(?:\s+#+)?\s*$"
)
PART_TITLE_RE = re.compile(r"^\ufeff?#(?!#)\s*" + _PART_TITLE, re.IGNORECASE)
_SETEXT_PART_TITLE_RE = re.compile(r"^\ufeff?\s{0,3}" + _PART_TITLE, re.IGNORECASE)
_SETEXT_H1_RE = re.compile(r"^\s{0,3}=+\s*$")
HEADING_RE = re.compile(r"^\s{0,3}(#{2,6})\s+(.*?)(?:\s+#+)?\s*$")
# "4.1 Title", "4.1. Title", "4.1: Title", "4.1 — Title", "4.1) Title"
SECTION_NUMBER_RE = re.compile(r"^(\d+(?:\.\d+)+)(?:[.:)]|\s+[—–-])?(?:\s+|$)(.*)$")
NUMBERED_ITEM_RE = re.compile(r"^(\s*)(\d{1,9})[.)](?:\s+(.*)|\s*)$")
BULLET_RE = re.compile(r"^(\s*)[-*+](?:\s+(.*?)|)\s*$")
TASK_RE = re.compile(r"^\[([ xX])\]\s+(.*)$")
RULE_RE = re.compile(r"^\s{0,3}(?:(?:-\s*){3,}|(?:\*\s*){3,}|(?:_\s*){3,})$")
FENCE_RE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
REFERENCE_RE = re.compile(r"^\s{0,3}\[([^\]]+)\]:\s*<?([^\s>]+)>?")
STUDY_TIME_RE = re.compile(r"^\*\*([^*]+)\*\*\s*:?\s*(\S.*)$")
DONE_MARK, PLANNED_MARK = "✅", "🚧"
# A section line's markers: done (✅, and the ✔️ and ☑️ some authors use), planned ("🚧 in
# progress", "🔜 soon", "⏳ pending", "⬜"). 🚧 is the course's own and outweighs a link; the
# others also decorate titles, so a line that links its file is written whatever they say.
DONE_MARKS = (DONE_MARK, "✔", "☑")
PLANNED_MARKS = (PLANNED_MARK, "🔜", "⏳", "⬜")
WEAK_PLANNED_MARKS = PLANNED_MARKS[1:]
MARKS = (*DONE_MARKS, *PLANNED_MARKS)
# "🚧 **В разработке** — 29% (2 из 7 разделов)", "✅ Завершено - 100% (7/7)", "— **50%** (1/2)",
# "🚧 В разработке (1/3)"; and figures first: "**Прогресс:** 1 из 3 разделов (33%)".
_STATUS_HEAD = (
    r"(?P<icon>[✅🚧⏳]\ufe0f?\s*)?(?P<label>\*\*[^*]+\*\*|__[^_]+__|[^\d%—–(|:*_✅🚧⏳]*?)"
    r"\s*(?:(?P<sep>[—–-]|:)\s*)?"
)
_STATUS_COUNT = r"(?P<done>\d+)(?P<of>\s*/\s*|\s+(?:из|of)\s+)(?P<total>\d+)"
STATUS_RES = (
    re.compile(
        _STATUS_HEAD + r"(?:(?:\*\*|__)?(?P<percent>\d{1,3})\s*%\s*(?:\*\*|__)?\s*)?"
        r"\(" + _STATUS_COUNT + r"(?P<noun>\s+[^)\d,]+)?(?:,\s*(?P<percent2>\d{1,3})\s*%)?\)"
    ),
    re.compile(
        _STATUS_HEAD + _STATUS_COUNT + r"(?P<noun>\s+[^()\d]+?)?\s*"
        r"\(\s*(?:\*\*|__)?(?P<percent>\d{1,3})\s*%\s*(?:\*\*|__)?\s*\)"
    ),
    # No brackets at all: "**Прогресс:** 1/3", "🚧 33% — 1 из 3", "В разработке — 1/3".
    re.compile(
        _STATUS_HEAD
        + r"(?:(?:\*\*|__)?(?P<percent>\d{1,3})\s*%(?:\*\*|__)?\s*[—–-]?\s*)?"
        + _STATUS_COUNT
        + r"(?P<noun>\s+[^()\d|,.;]*[^()\d|,.;\s])?"
    ),
)
_STATUS_NAMES = r"(?:статус|status|прогресс|progress|готовность|состояние)"
STATUS_WORDS_RE = re.compile(r"^(?:[-*+]\s+)?[*_]*\s*" + _STATUS_NAMES + r"\b", re.I)
# Outside the status block, a line that names itself the status at its start (in a list,
# a quote, a table row or a heading too), or one that starts with the status icon.
STATUS_NAMED_RE = re.compile(
    r"^[\W_]*(?:(?:текущий|текущее|current)\s+)?" + _STATUS_NAMES
    + r"(?:\s+(?:части|курса|part|course)(?:\s+\d+)?)?",
    re.IGNORECASE,
)  # fmt: skip
BOLD_LINE_RE = re.compile(r"^(\*\*|__)(.+?)\1\s*:?\s*$")  # "**✅ Готово:**", a sub-heading
STATUS_ICON_RE = re.compile(r"^[\s>]*[*_]*[✅🚧⏳]")
MAX_STATUS_LINE = 500  # longer is not a status line (and would cost the regexes time)

# ## headings by what they hold, as `_key` gives them (lower case, no emoji, ё as е).
BLOCK_KINDS = {
    "описание": "description", "description": "description", "о части": "description",
    "об этой части": "description", "введение": "description", "about": "description",
    "overview": "description",
    "время изучения": "study_time", "study time": "study_time", "время прохождения": "study_time",
    "время на изучение": "study_time", "продолжительность": "study_time",
    "длительность": "study_time", "duration": "study_time", "estimated time": "study_time",
}  # fmt: skip
# Otherwise a ## heading is read by its words: the status's first, or a noun that names the
# part's sections (with a word of their state: "Завершённые материалы", "Planned sections"),
# or a state alone ("## Что уже готово") - unless a word says it holds something else.
STATUS_WORDS = {"статус", "прогресс", "status", "progress", "готовность", "состояние"}
SECTIONS_NOUNS = {
    "материалы", "материалов", "материал", "разделы", "разделов", "темы", "уроки", "уроков",
    "лекции", "главы", "содержание", "оглавление", "программа", "план", "структура",
    "materials", "contents", "sections", "lessons", "lectures", "chapters", "topics",
    "syllabus", "outline",
}  # fmt: skip
OTHER_WORDS = {
    "самопроверки", "самопроверка", "решения", "ссылки", "проекты", "проект", "требования",
    "дополнительные", "полезные", "литература", "ресурсы", "источники", "продакшена",
    "обсуждения", "домашнее", "extra", "further", "links", "resources", "reading",
    "projects", "requirements", "references", "prerequisites", "homework",
}  # fmt: skip
# Words that qualify a heading without changing what it holds ("Материалы части 3").
QUALIFIERS = {
    "части", "курса", "этой", "текущий", "текущее", "уже", "что", "список", "все", "наши",
    "part", "course", "current", "the", "all",
}  # fmt: skip
SECTION_KINDS = {"published", "planned", "materials"}
BLOCK_STATES = {"published": True, "planned": False}  # what a block says of its sections
# What a block or a ### sub-heading says of the state of its sections ("### ✅ Завершено",
# "### В работе", "**🚧 Скоро:**"): phrases first (a "не" turns "готово" around).
PLANNED_PHRASES = (
    "в разработке", "в работе", "в процессе", "в планах", "не готов", "не написан", "пока не",
    "еще не", "скоро появ", "in progress", "coming soon", "not yet", "work in progress",
)  # fmt: skip
PLANNED_WORDS = {
    "планируемые", "планируется", "запланированные", "запланировано", "будущие", "скоро",
    "черновик", "черновики", "осталось", "planned", "upcoming", "future", "draft", "drafts",
    "wip", "todo",
}  # fmt: skip
# "Не опубликовано", "Почти готово", "Not ready yet", "Не начато": a state word turned round.
NEGATIONS = {"не", "нет", "почти", "частично", "not", "no", "almost", "partially", "partly"}
NEGATED_STEMS = (
    "готов", "заверш", "опублик", "написан", "доступ", "начат", "ready", "publish", "finish",
    "complet", "availab", "written", "done", "start",
)  # fmt: skip
DONE_WORDS = {
    "завершено", "завершенные", "завершенных", "готово", "готовые", "опубликовано",
    "опубликованные", "написано", "написанные", "доступно", "доступные", "completed",
    "finished", "published", "done", "ready", "available", "written",
}  # fmt: skip
STATE_VOCABULARY = DONE_WORDS | PLANNED_WORDS | {w for p in PLANNED_PHRASES for w in p.split()}
# What a ## heading that names the part's sections may say besides (nothing else: "Материалы
# для самопроверки", "Структура проекта" and "Устаревшие материалы" hold something else).
SECTIONS_HEADING_WORDS = (
    SECTIONS_NOUNS | STATE_VOCABULARY | NEGATIONS | {"учебные", "и", "of", "table"}
)


def split_lines(text: str) -> list[str]:
    """Lines with their endings, so that "".join(lines) == text (CRLF, CR and LF kept)."""
    return re.findall(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$", text)


# --- links -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Link:
    text: str
    href: str
    start: int
    end: int


def _closing(text: str, start: int, opening: str, closing: str) -> int:
    """The index of the bracket that closes text[start] (nested ones and `code` skipped)."""
    depth = 0
    index = start
    while index < len(text):
        char = text[index]
        if char == "\\":
            index += 2
            continue
        if char == "`":
            end = text.find("`", index + 1)
            index = end + 1 if end > 0 else index + 1
            continue
        if char == opening:
            depth += 1
        elif char == closing:
            depth -= 1
            if depth == 0:
                return index
        index += 1
    return -1


def find_links(text: str, references: Mapping[str, str] = {}) -> list[Link]:
    """The Markdown links in a line: `[text](href "title")`, `[text](<href>)`, `[text][ref]`
    and `[text][]` (from `references`), text with brackets or code in it."""
    links: list[Link] = []
    index = 0
    while (start := text.find("[", index)) >= 0:
        if start > 0 and text[start - 1] in "\\!":  # escaped, or an image
            index = start + 1
            continue
        close = _closing(text, start, "[", "]")
        if close < 0:
            break
        label = text[start + 1 : close]
        after = close + 1
        if text[after : after + 1] == "(":
            end = _closing(text, after, "(", ")")
            if end > 0:
                destination = text[after + 1 : end].strip()
                if destination.startswith("<"):
                    href = destination[1 : destination.find(">")] if ">" in destination else ""
                else:
                    href = destination.split()[0] if destination else ""
                links.append(Link(label, href, start, end + 1))
                index = end + 1
                continue
        if text[after : after + 1] == "[":
            end = text.find("]", after)
            if end > 0:
                name = text[after + 1 : end] or label
                if (target := references.get(name.strip().lower())) is not None:
                    links.append(Link(label, target, start, end + 1))
                    index = end + 1
                    continue
        index = start + 1
    return links


def material_path(href: str) -> str:
    """The Markdown file a link points at, relative to the README ("./02_x.md" ->
    "02_x.md"); "" for anything else (another site, an anchor, a file outside the part)."""
    href = href.split("#", 1)[0].split("?", 1)[0]
    if not href or re.match(r"^[a-z][a-z0-9+.-]*:|^/", href, re.IGNORECASE):
        return ""
    parts = [part for part in href.split("/") if part not in ("", ".")]
    if parts and href.endswith("/"):
        parts.append("README.md")  # a section's folder: its README is the material
    if not parts or ".." in parts or not parts[-1].lower().endswith(".md"):
        return ""
    return "/".join(parts)


def _without_links(text: str, links: Sequence[Link]) -> str:
    for link in reversed(links):
        text = text[: link.start] + link.text + text[link.end :]
    return text


# --- what a line says ----------------------------------------------------------------


def _key(title: str) -> str:
    """A heading's words: lower case, no emoji, punctuation, links or bold; ё as е."""
    text = _without_links(title, find_links(title)).lower().replace("ё", "е")
    words = "".join(ch if ch.isalnum() or ch.isspace() else " " for ch in text)
    return " ".join(words.split())


def _words(title: str) -> list[str]:
    """A heading's words without counts or the words that only qualify it."""
    return [w for w in _key(title).split() if not w.isdigit() and w not in QUALIFIERS]


def _stated_state(words: list[str]) -> bool | None:
    """What words say of sections' state: written, planned, or nothing."""
    text = f" {' '.join(words)} "
    if any(f" {phrase}" in text for phrase in PLANNED_PHRASES) or PLANNED_WORDS & set(words):
        return False
    if NEGATIONS & set(words) and any(w.startswith(NEGATED_STEMS) for w in words):
        return False
    if DONE_WORDS & set(words):
        return True
    return None


def _block_kind(title: str) -> str | None:
    if (kind := BLOCK_KINDS.get(_key(title))) is not None:
        return kind
    words = _words(title)
    if not words or OTHER_WORDS & set(words):
        return None
    if words[0] in STATUS_WORDS:
        return "status"
    state = _stated_state(words)
    names_sections = SECTIONS_NOUNS & set(words) or state is not None
    if names_sections and set(words) <= SECTIONS_HEADING_WORDS:
        return {True: "published", False: "planned", None: "materials"}[state]
    return None


def _without_marks(text: str) -> str:
    for mark in MARKS:
        text = re.sub(rf"{mark}\ufe0f?", " ", text)
    return text


def _plain(text: str, references: Mapping[str, str] = {}) -> str:
    """A title: links as their text, no markers, bold or stray separators, spaces single."""
    text = _without_links(text, find_links(text, references))
    text = _without_marks(text).replace("**", "").replace("__", "")
    text = " ".join(text.split())
    return text.strip(" —–-:|").strip()


def line_state(
    text: str, block_state: bool | None, shape: str, references: Mapping[str, str] = {}
) -> bool:
    """Whether a section's line, in its block, says the section is written.

    In order: 🚧 says planned and ✅ written, whatever else the line says; a heading in a
    block of planned sections stays planned even if it links a draft; a link to its
    Markdown file says written (a list item's link is what says so: "linked = written");
    its file named but not linked (`**02_x.md**`), or ⏳, 🔜, ⬜, planned; else its block's
    word, and planned where the block says nothing."""
    if PLANNED_MARK in text:
        return False
    if any(mark in text for mark in DONE_MARKS):
        return True
    if shape == "heading" and block_state is False:
        return False
    if any(material_path(link.href) for link in find_links(text, references)):
        return True
    if _NAMED_FILE_RE.search(_without_links(text, find_links(text, references))):
        return False
    if any(mark in text for mark in WEAK_PLANNED_MARKS):
        return False
    return bool(block_state)


def _subheading_state(title: str, *, among_sections: bool = False) -> bool | None:
    """The state a `### ✅ Завершено` / `### 🚧 В разработке` sub-heading sets: by its words,
    and by a lone ✅ or 🚧 before words it does not know. `among_sections`: beside section
    headings of no number, only a heading of state words alone ("### Future и Promise" is a
    section)."""
    if any(material_path(link.href) for link in find_links(title)):
        return None  # a section's heading, not a sub-heading
    words = _words(title)
    if OTHER_WORDS & set(words):
        return None
    if among_sections and not set(words) <= SECTIONS_HEADING_WORDS:
        return None
    if (state := _stated_state(words)) is not None:
        return state
    if among_sections:
        return None
    if any(mark in title for mark in PLANNED_MARKS):
        return False
    if any(mark in title for mark in DONE_MARKS):
        return True
    return None


# What starts an item: "**[01_x.md](./01_x.md)**", "[Title](./x.md)", or the file it will be,
# "**02_x.md**", "`02_x.md`", "02_x.md".
_BOLD_FILE_RE = re.compile(
    r"^\*\*`?([^*`\s]+\.md)`?\*\*|^__`?([^`\s]+?\.md)`?__|^`([^`\s]+\.md)`"
    r"|^([\w./-]+\.md)(?=\s|$)"
)
# A Markdown file named, not linked: the file a planned section will be.
_NAMED_FILE_RE = re.compile(
    r"\*\*`?[^*`\s]+\.md`?\*\*|__`?[^`\s]+?\.md`?__|`[^`\s]+\.md`"
    r"|^(?:\s*(?:[-*+]|\d+[.)])\s+(?:\[[ xX]\]\s+)?)?[\w./-]+\.md(?=\s|$)"
)
_LEADING_MARKS_RE = re.compile(rf"^(?:\s*(?:{'|'.join(MARKS)})\ufe0f?)+\s*")


def _item_title_and_file(text: str, references: Mapping[str, str]) -> tuple[str, str, bool]:
    """(title, material file, linked?) of an item's text after its list marker."""
    text = _LEADING_MARKS_RE.sub("", text)
    links = find_links(text, references)
    files = [path for link in links if (path := material_path(link.href))]
    linked_file = files[0] if files else ""
    bold = text.startswith(("**", "__"))
    inner = text[2:] if bold else text
    lead = next((link for link in find_links(inner, references) if link.start == 0), None)
    if lead is not None:
        end = lead.end + (2 if bold and inner[lead.end : lead.end + 2] in ("**", "__") else 0)
        rest = _plain(inner[end:], references)
        if lead.text.strip(" `*_").lower().endswith(".md") or not lead.text.strip():
            return rest or _plain(lead.text), linked_file, bool(linked_file)
        return _plain(lead.text, references), linked_file, bool(linked_file)
    if named := _BOLD_FILE_RE.match(text):
        rest = _plain(text[named.end() :], references)
        path = next(group for group in named.groups() if group)
        return rest or path, path, False
    return _plain(text, references), linked_file, bool(linked_file)


# --- reading ---------------------------------------------------------------------------


def _structure_view(lines: Sequence[str]) -> list[str]:
    """The lines as structure sees them: code blocks and HTML comments blanked out (they
    are text, kept as written, never headings, sections or a status)."""
    view: list[str] = []
    fence = ""
    in_comment = False
    for line in lines:
        if fence:
            view.append("")
            stripped = line.strip()
            if set(stripped) == {fence[0]} and len(stripped) >= len(fence):
                fence = ""
            continue
        if not in_comment and (opening := FENCE_RE.match(line)):
            fence = opening.group(1)
            view.append("")
            continue
        shown = ""
        rest = line
        while rest:
            if in_comment:
                end = rest.find("-->")
                if end < 0:
                    rest = ""
                    break
                rest = rest[end + 3 :]
                in_comment = False
            else:
                start = rest.find("<!--")
                if start < 0:
                    shown += rest
                    break
                shown += rest[:start]
                rest = rest[start + 4 :]
                in_comment = True
        view.append(shown if shown.strip() else "")
    return view


def _title_line(view: Sequence[str]) -> tuple[int, re.Match[str]] | None:
    for index, line in enumerate(view):
        if match := PART_TITLE_RE.match(line):
            return index, match
        next_line = view[index + 1] if index + 1 < len(view) else ""
        if _SETEXT_H1_RE.match(next_line) and (match := _SETEXT_PART_TITLE_RE.match(line)):
            return index, match
    return None


def part_number_of(text: str) -> int | None:
    """The part number a README's title gives (outside code blocks and comments), or None."""
    lines = [line.rstrip("\r\n") for line in split_lines(text)]
    found = _title_line(_structure_view(lines))
    return int(found[1].group(1)) if found else None


def parse_part_readme(text: str) -> PartReadme:
    """Read a README; ReadmeError only when it has no `# Часть N: Title` line."""
    lines = [line.rstrip("\r\n") for line in split_lines(text)]
    view = _structure_view(lines)
    warnings: list[str] = []
    found_title = _title_line(view)
    if found_title is None:
        first = next((i for i, line in enumerate(lines) if line.strip()), 0)
        raise ReadmeError(first + 1, "not a part README: no '# Часть N: Title' line")
    title_at, title_match = found_title
    number = int(title_match.group(1))
    title = (title_match.group(2) or "").strip() or f"Часть {number}"
    if not view[title_at].lstrip("\ufeff").startswith("#"):
        title_at += 1  # the "====" under a Setext title is part of it

    references = {
        match.group(1).strip().lower(): match.group(2)
        for line in view
        if (match := REFERENCE_RE.match(line))
    }

    # Blocks: (kind, heading line index, body line indexes); "intro" before the first ##.
    blocks: list[tuple[str, int, list[int]]] = [("intro", title_at, [])]
    footer_at: int | None = None
    for index in range(title_at + 1, len(lines)):
        line = view[index]
        heading = HEADING_RE.match(line)
        if heading and len(heading.group(1)) == 2:
            kind = _block_kind(heading.group(2))
            if kind is None:
                warnings.append(f"{index + 1}: section {line.strip()!r} is kept as it is")
                kind = "extra"
            blocks.append((kind, index, []))
            footer_at = None
            continue
        if RULE_RE.match(line):
            footer_at = index
        blocks[-1][2].append(index)

    def body(kind: str) -> list[int]:
        return next((lines_ for k, _at, lines_ in blocks if k == kind), [])

    # The footer: navigation links after the last rule, when nothing else follows it.
    nav_links: list[tuple[str, str]] = []
    if footer_at is not None:
        after = [view[i] for i in range(footer_at + 1, len(lines)) if view[i].strip()]
        if after and all(
            find_links(line, references) and not NUMBERED_ITEM_RE.match(line) for line in after
        ):
            nav_links = [
                (link.text, link.href) for line in after for link in find_links(line, references)
            ]
        else:
            footer_at = None
    cut = footer_at if footer_at is not None else len(lines)

    status: StatusLine | None = None
    stated_status = ""
    # The status block's line; else a line that says it is the status ("**Статус**: ...",
    # "🚧 В разработке — ..."), never a figure in some other text or list.
    in_status = set(body("status"))
    in_sections = {i for kind, at, indexes in blocks if kind in SECTION_KINDS for i in indexes}
    elsewhere = [i for i in range(title_at + 1, len(lines)) if i not in in_status]
    status_candidates = [
        *(i for i in body("status") if view[i].strip()),
        *(i for i in elsewhere if _says_it_is_the_status(view[i])),
        # (not a bold "**✅ Готово (2 из 3):**" sub-heading among the sections)
        *(
            i
            for i in elsewhere
            if _starts_like_the_status(view[i])
            and not (i in in_sections and BOLD_LINE_RE.match(view[i].strip()))
        ),
    ]
    for index in status_candidates:
        if index >= cut:
            continue
        if match := status_match(view[index]):
            status = StatusLine(index + 1, int(match.group("done")), int(match.group("total")))
            stated_status = lines[index].strip()
            break
    if status is None and body("status"):
        stated_status = _text_of(lines, body("status"), cut)
        if stated_status:
            warnings.append(f"{body('status')[0] + 1}: the status line has no 'N% (N из M)'")

    # The part's words: its "Описание", else what comes before the first "##" (without a
    # status line written there, which the platform shows itself).
    status_at = frozenset({status.line - 1} if status else ())
    description = _text_of(lines, body("description"), cut, skip=status_at) or _text_of(
        lines, body("intro"), cut, skip=status_at
    )

    study_time = ""
    if study := [lines[i].strip() for i in body("study_time") if i < cut and view[i].strip()]:
        match = STUDY_TIME_RE.match(study[0])
        study_time = (match.group(2) if match else study[0]).strip()

    for kind, at, indexes in blocks:
        files = [
            path
            for i in indexes
            if kind == "extra" and (NUMBERED_ITEM_RE.match(view[i]) or BULLET_RE.match(view[i]))
            for link in find_links(view[i], references)
            if (path := material_path(link.href))
        ]
        if files and HEADING_RE.match(view[at]):
            warnings.append(
                f"{at + 1}: section {view[at].strip()!r} links {', '.join(files[:3])}"
                f"{' …' if len(files) > 3 else ''} but is not read as the part's sections; if "
                "they are, call it '## Материалы'"
            )

    reader = _SectionReader(part=number, view=view, references=references, warnings=warnings)
    for kind, _at, indexes in blocks:
        if kind in SECTION_KINDS or kind == "extra":
            reader.read_block(kind, [i for i in indexes if i < cut])
    unique = first_of_each_number(reader.sections(), warnings)
    return PartReadme(
        number=number,
        title=title,
        description=description,
        study_time=study_time,
        nav_links=tuple(nav_links),
        sections=tuple(unique),
        status=status,
        stated_status=stated_status,
        warnings=tuple(warnings),
        references=references,
    )


def _says_it_is_the_status(line: str) -> bool:
    """ "**Статус**: …", "- Статус — …", "| Статус | …", "## Статус: …", "> Прогресс: …":
    the word and then a separator (not "Статус заказа (1/2)" in some sentence)."""
    if len(line) > MAX_STATUS_LINE or (found := STATUS_NAMED_RE.match(line)) is None:
        return False
    after = line[found.end() :].lstrip(" *_")[:1]
    return after in {":", "—", "–", "-", "|", "✅", "🚧", "⏳"} or after.isdigit()


def _starts_like_the_status(line: str) -> bool:
    """ "🚧 **В разработке** — 29% (2 из 7 разделов)" alone on a line (or quoted): the icon,
    then a word of the status or a count of sections; not any line that starts with ⏳."""
    if not STATUS_ICON_RE.match(line) or (match := status_match(line)) is None:
        return False
    label = match.group("label") or ""
    noun = (match.group("noun") or "").split()
    counts_sections = bool(noun) and any(noun[0].lower() in pair for pair in COUNT_NOUNS)
    if noun and not counts_sections:
        return False  # "1 из 3 примеров (33%)": figures of something else
    return counts_sections or _stated_state(_words(label)) is not None


def status_match(line: str) -> re.Match[str] | None:
    """The status figures in a line, in either order, or None."""
    if len(line) > MAX_STATUS_LINE:
        return None
    found = [match for pattern in STATUS_RES if (match := pattern.search(line))]
    return min(found, key=lambda match: match.start("done")) if found else None


def _text_of(
    lines: Sequence[str], indexes: list[int], cut: int, skip: frozenset[int] = frozenset()
) -> str:
    kept = [lines[i] for i in indexes if i < cut and i not in skip]
    while kept and (not kept[-1].strip() or RULE_RE.match(kept[-1])):
        kept.pop()  # blank lines and a closing rule are layout, not text
    return "\n".join(kept).strip("\n").rstrip()


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


class _SectionReader:
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
                names_file=bool(_item_title_and_file(text, self.references)[1]),
            ):  # fmt: skip
                topic = TASK_RE.sub(r"\2", text)
                explicit = SECTION_NUMBER_RE.match(_plain(topic, self.references))
                if explicit and explicit.group(1).startswith(f"{current.number}."):
                    # "9.1.1 Title" under 9.1: a section of its own, inside 9.1
                    number = self._explicit(explicit.group(1))
                    shape = "item" if item else "bullet"
                    block.current = self._open(index, text, number, block.default, shape, item=True)
                    block.current.indent = indent
                elif topic := _plain(topic, self.references):
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
        plain = _plain(text, self.references)
        numbered = SECTION_NUMBER_RE.match(_without_links(text, find_links(text)).strip(" *_"))
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
        state = _subheading_state(text, among_sections=among_sections)
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
            state = _subheading_state(bold.group(2))
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
        explicit = SECTION_NUMBER_RE.match(_plain(text, self.references))
        if explicit and explicit.group(1).startswith(f"{self.part}."):
            number = self._explicit(explicit.group(1))
        elif shape != "bullet" or (
            not block.after_unknown
            and (
                block.bare_bullets
                or _item_title_and_file(text, self.references)[1]
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
            body = _LEADING_MARKS_RE.sub("", text)
            if explicit := SECTION_NUMBER_RE.match(body.strip(" *_")):
                body = explicit.group(2) if explicit.group(1) == number else text
            title, path, linked = _item_title_and_file(body, self.references)
            if (numbered := SECTION_NUMBER_RE.match(title)) and numbered.group(1) == number:
                title = numbered.group(2)  # "[9.1 Роутинг](./01.md)": the number is not its title
        else:
            links = find_links(text, self.references)
            files = [p for link in links if (p := material_path(link.href))]
            path, linked = (files[0], True) if files else ("", False)
            title = _plain(text, self.references)
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


# --- writing it back -------------------------------------------------------------------

# The status label in the README's own language, by whether the part is complete.
STATUS_LABELS = {"ru": ("В разработке", "Завершено"), "en": ("In progress", "Completed")}
# "N из M <noun>": the noun agrees with M (genitive after "из": 1, 21 -> singular).
COUNT_NOUNS = (
    ("раздела", "разделов"), ("темы", "тем"), ("главы", "глав"), ("урока", "уроков"),
    ("статьи", "статей"), ("модуля", "модулей"), ("материала", "материалов"),
    ("занятия", "занятий"), ("section", "sections"), ("chapter", "chapters"),
    ("topic", "topics"), ("lesson", "lessons"), ("module", "modules"), ("article", "articles"),
)  # fmt: skip


def part_readme_rewrite(
    text: str,
    *,
    published: Mapping[str, bool],
    paths: Mapping[str, str] = {},
    done: int,
    total: int,
) -> str:
    """`text` with the status line's figures set to `done` of `total` and the marker of each
    section whose state in `published` (the README's number of it -> written?) differs from
    the text's; `paths` (number -> material file) names the file to link where the text
    names none. Words the figures change (the label of a part that became complete, the noun
    after "из") are written in the README's own language."""
    readme = parse_part_readme(text)
    lines = split_lines(text)
    for section in readme.sections:
        wanted = published.get(section.number)
        if wanted is None or wanted == section.published:
            continue
        index = section.line - 1
        body, ending = _split_ending(lines[index])
        if section.shape == "task":
            body = re.sub(r"\[[ xX]\]", "[x]" if wanted else "[ ]", body, count=1)
        elif wanted:
            body = _marked_done(body, section, paths.get(section.number, ""), readme.references)
        else:
            body = _marked_planned(body, section, readme.references)
        lines[index] = body + ending
    if readme.status is not None:
        index = readme.status.line - 1
        body, ending = _split_ending(lines[index])
        lines[index] = _status_rewritten(body, done, total) + ending
    return "".join(lines)


def _split_ending(line: str) -> tuple[str, str]:
    stripped = line.rstrip("\r\n")
    return stripped, line[len(stripped) :]


def _without_mark(line: str, marks: Sequence[str]) -> str:
    """`line` without the markers, and the one space that set each apart."""
    for mark in marks:
        line = re.sub(rf" ?{mark}\ufe0f?(?= |$)| ?{mark}\ufe0f?|{mark}\ufe0f? ?", "", line)
    return line


def _reads(line: str, section: ReadmeSection, references: Mapping[str, str]) -> bool:
    return line_state(line, section.block_state, section.shape, references)


def _marked_done(
    line: str, section: ReadmeSection, path: str, references: Mapping[str, str]
) -> str:
    """A written section's line: no planned marker; its file linked where the line names it
    (the bold file name, or a heading's title); the ✅ of the course's headings, and of any
    line that would not read as written without it."""
    line = _without_mark(line, (PLANNED_MARK,))
    path = section.source_path or path
    if path and not any(material_path(link.href) for link in find_links(line, references)):
        href = f"./{path}"
        for named, linked in (
            (f"**{path}**", f"**[{path}]({href})**"),
            (f"__{path}__", f"__[{path}]({href})__"),
            (f"`{path}`", f"[`{path}`]({href})"),
            (path, f"[{path}]({href})"),
        ):
            if named in line:
                line = line.replace(named, linked, 1)
                break
        else:
            if section.shape == "heading" and section.title in line:
                line = line.replace(section.title, f"[{section.title}]({href})", 1)
    if not _reads(line, section, references):
        line = _without_mark(line, WEAK_PLANNED_MARKS)
    if (section.shape == "heading" and DONE_MARK not in line) or not _reads(
        line, section, references
    ):
        line = _with_mark(line, DONE_MARK)
    return line


def _with_mark(line: str, mark: str) -> str:
    """`line` with `mark` at its end (before a heading's closing "###", which it is not)."""
    closing = re.match(r"^(\s{0,3}#{2,6}\s.*?)(\s+#+\s*)$", line)
    if closing:
        return f"{closing.group(1).rstrip()} {mark}{closing.group(2)}"
    return f"{line.rstrip()} {mark}"


def _marked_planned(line: str, section: ReadmeSection, references: Mapping[str, str]) -> str:
    """A planned section's line: no ✅, and where the line would still read as written (its
    link, its block's word), the 🚧 that says otherwise. The link stays: the file is named
    where it was, and the section is written again by taking the 🚧 away."""
    line = _without_mark(line, DONE_MARKS)
    if _reads(line, section, references):
        line = _with_mark(line, PLANNED_MARK)
    return line


def _count_noun(noun: str, total: int) -> str:
    """The noun after "N из M" agreeing with M ("из 1 раздела", "из 7 разделов", "of 1
    section"); a noun it does not know, and any words after it, as the author wrote them."""
    match = re.match(r"(\s+)(\w+)(.*)$", noun, re.DOTALL)
    if match is None:
        return noun
    space, word, rest = match.groups()
    for one, many in COUNT_NOUNS:
        if word.lower() in {one, many}:
            # English: one; Russian genitive after "из": 1, 21, 31 ... but not 11
            singular = total == 1 if word.isascii() else total % 10 == 1 and total % 100 != 11
            form = one if singular else many
            return space + (form.capitalize() if word[:1].isupper() else form) + rest
    return noun


def _status_rewritten(line: str, done: int, total: int) -> str:
    match = status_match(line)
    if match is None or (int(match.group("done")), int(match.group("total"))) == (done, total):
        return line
    from courses.status import completion_percent

    replacements: list[tuple[int, int, str]] = [
        (match.start("done"), match.end("done"), str(done)),
        (match.start("total"), match.end("total"), str(total)),
    ]
    for name in ("percent", "percent2"):
        if name in match.re.groupindex and match.group(name) is not None:
            percent = str(completion_percent(done, total))
            replacements.append((match.start(name), match.end(name), percent))
    if match.group("noun"):
        noun = match.group("noun")
        replacements.append((match.start("noun"), match.end("noun"), _count_noun(noun, total)))
    was_complete = int(match.group("done")) == int(match.group("total")) > 0
    now_complete = done == total > 0
    if was_complete != now_complete:
        icon = match.group("icon")
        if icon:
            new_icon = DONE_MARK if now_complete else PLANNED_MARK
            replacements.append((match.start("icon"), match.start("icon") + 1, new_icon))
        label = match.group("label")
        bare = label.strip("*_ ").strip()
        if bare and not STATUS_WORDS_RE.match(bare):
            language = "ru" if re.search("[а-яё]", line, re.IGNORECASE) else "en"
            word = STATUS_LABELS[language][now_complete]
            start = match.start("label") + label.index(bare)
            replacements.append((start, start + len(bare), word))
    for start, end, new in sorted(replacements, reverse=True):
        line = line[:start] + new + line[end:]
    return line


__all__ = [
    "PART_TITLE_RE",
    "PartReadme",
    "ReadmeError",
    "ReadmeSection",
    "find_links",
    "first_of_each_number",
    "line_state",
    "material_path",
    "parse_part_readme",
    "part_number_of",
    "part_readme_rewrite",
    "split_lines",
    "status_match",
]
