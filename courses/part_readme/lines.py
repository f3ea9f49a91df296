"""What one line of a README says: the regexes and words of the vocabulary, links, and a
line's state (written or planned)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

# "Часть 4: Title", "**Часть 17:** Title", "📦 Часть 3 — Title", "ЧАСТЬ 2.", "Part 8: Title"
# (Each repetition takes one character: a run of "=" or "!" cannot backtrack exponentially.
# A closing "#" run needs a space before it, so "Go глазами C#" keeps its "#".)
_PART_TITLE = (
    r"(?:[^\w\s*_]\s*)*[*_]{0,2}\s*(?:часть|part)\s+(\d+)(?![\d.]\d)"
    r"(?:[\s*_]*[:.—–-])?[\s*_]*(\S.*?)?[*_]*(?:\s+#+)?\s*$"
)


PART_TITLE_RE = re.compile(r"^\ufeff?#(?!#)\s*" + _PART_TITLE, re.IGNORECASE)


SETEXT_PART_TITLE_RE = re.compile(r"^\ufeff?\s{0,3}" + _PART_TITLE, re.IGNORECASE)


SETEXT_H1_RE = re.compile(r"^\s{0,3}=+\s*$")


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


BOLD_LINE_RE = re.compile(r"^(\*\*|__)(.+?)\1\s*:?\s*$")  # "**✅ Готово:**", a sub-heading


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


def without_links(text: str, links: Sequence[Link]) -> str:
    for link in reversed(links):
        text = text[: link.start] + link.text + text[link.end :]
    return text


def _key(title: str) -> str:
    """A heading's words: lower case, no emoji, punctuation, links or bold; ё as е."""
    text = without_links(title, find_links(title)).lower().replace("ё", "е")
    words = "".join(ch if ch.isalnum() or ch.isspace() else " " for ch in text)
    return " ".join(words.split())


def title_words(title: str) -> list[str]:
    """A heading's words without counts or the words that only qualify it."""
    return [w for w in _key(title).split() if not w.isdigit() and w not in QUALIFIERS]


def stated_state(words: list[str]) -> bool | None:
    """What words say of sections' state: written, planned, or nothing."""
    text = f" {' '.join(words)} "
    if any(f" {phrase}" in text for phrase in PLANNED_PHRASES) or PLANNED_WORDS & set(words):
        return False
    if NEGATIONS & set(words) and any(w.startswith(NEGATED_STEMS) for w in words):
        return False
    if DONE_WORDS & set(words):
        return True
    return None


def block_kind(title: str) -> str | None:
    if (kind := BLOCK_KINDS.get(_key(title))) is not None:
        return kind
    words = title_words(title)
    if not words or OTHER_WORDS & set(words):
        return None
    if words[0] in STATUS_WORDS:
        return "status"
    state = stated_state(words)
    names_sections = SECTIONS_NOUNS & set(words) or state is not None
    if names_sections and set(words) <= SECTIONS_HEADING_WORDS:
        return {True: "published", False: "planned", None: "materials"}[state]
    return None


def _without_marks(text: str) -> str:
    for mark in MARKS:
        text = re.sub(rf"{mark}\ufe0f?", " ", text)
    return text


def plain_text(text: str, references: Mapping[str, str] = {}) -> str:
    """A title: links as their text, no markers, bold or stray separators, spaces single."""
    text = without_links(text, find_links(text, references))
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
    if _NAMED_FILE_RE.search(without_links(text, find_links(text, references))):
        return False
    if any(mark in text for mark in WEAK_PLANNED_MARKS):
        return False
    return bool(block_state)


def subheading_state(title: str, *, among_sections: bool = False) -> bool | None:
    """The state a `### ✅ Завершено` / `### 🚧 В разработке` sub-heading sets: by its words,
    and by a lone ✅ or 🚧 before words it does not know. `among_sections`: beside section
    headings of no number, only a heading of state words alone ("### Future и Promise" is a
    section)."""
    if any(material_path(link.href) for link in find_links(title)):
        return None  # a section's heading, not a sub-heading
    words = title_words(title)
    if OTHER_WORDS & set(words):
        return None
    if among_sections and not set(words) <= SECTIONS_HEADING_WORDS:
        return None
    if (state := stated_state(words)) is not None:
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


LEADING_MARKS_RE = re.compile(rf"^(?:\s*(?:{'|'.join(MARKS)})\ufe0f?)+\s*")


def item_title_and_file(text: str, references: Mapping[str, str]) -> tuple[str, str, bool]:
    """(title, material file, linked?) of an item's text after its list marker."""
    text = LEADING_MARKS_RE.sub("", text)
    links = find_links(text, references)
    files = [path for link in links if (path := material_path(link.href))]
    linked_file = files[0] if files else ""
    bold = text.startswith(("**", "__"))
    inner = text[2:] if bold else text
    lead = next((link for link in find_links(inner, references) if link.start == 0), None)
    if lead is not None:
        end = lead.end + (2 if bold and inner[lead.end : lead.end + 2] in ("**", "__") else 0)
        rest = plain_text(inner[end:], references)
        if lead.text.strip(" `*_").lower().endswith(".md") or not lead.text.strip():
            return rest or plain_text(lead.text), linked_file, bool(linked_file)
        return plain_text(lead.text, references), linked_file, bool(linked_file)
    if named := _BOLD_FILE_RE.match(text):
        rest = plain_text(text[named.end() :], references)
        path = next(group for group in named.groups() if group)
        return rest or path, path, False
    return plain_text(text, references), linked_file, bool(linked_file)
