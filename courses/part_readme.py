"""A part README as authors really write it: read tolerantly, written back line for line.

`parse_part_readme` reads any README that has a `# Часть N: Title` line (the only thing a
part README cannot do without): the course's own layout (`## Завершённые материалы` /
`## Планируемые материалы` with `### 4.1 [Title](./file.md) ✅` headings), one
`## Материалы` block with `### ✅ Завершено` / `### 🚧 В разработке` sub-headings and
numbered items (`1. **[file.md](./file.md)** — Title`, linked = written; `2. **file.md** —
Title`, planned), both mixed, stubs, extra sections and free text. What it does not know
is kept in the text and named in a warning, never refused.

`part_readme_rewrite` is the export: the author's text with only the lines the platform
owns changed, the status line's figures and the markers of sections whose state changed,
so the git diff of an export is a line or two; with nothing changed it is the input, byte
for byte. Pure: no database, no Django.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

# --- what a README says --------------------------------------------------------------


@dataclass(frozen=True)
class ReadmeSection:
    number: str
    title: str
    published: bool
    topics: tuple[str, ...]
    source_path: str  # the material file, linked ("./02_caching.md") or planned ("**02.md**")
    linked: bool  # the line links its file (a written section)
    line: int  # 1-based
    # What an unmarked line in its block means: the state the block's heading gives.
    block_published: bool


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


class ReadmeError(ValueError):
    def __init__(self, line: int, message: str) -> None:
        self.line = line
        self.message = message
        super().__init__(f"{line}: {message}")


PART_TITLE_RE = re.compile(r"^#\s+(?:Часть|Part)\s+(\d+)\b\s*(?:[:.—–-]\s*)?(\S.*?)?\s*#*\s*$")
HEADING_RE = re.compile(r"^(#{2,6})\s+(.*?)\s*#*\s*$")
SECTION_HEADING_RE = re.compile(r"^(\d+(?:\.\d+)+)\.?\s+(\S.*)$")
NUMBERED_ITEM_RE = re.compile(r"^\s{0,3}(\d+)[.)]\s+(\S.*)$")
BULLET_RE = re.compile(r"^(\s*)[-*+]\s+(.*?)\s*$")
LINK_RE = re.compile(r"\[([^\]]*)\]\(([^)\s]*)\)")
BOLD_FILE_RE = re.compile(r"\*\*([^*\s]+\.md)\*\*")
TITLE_AFTER_DASH_RE = re.compile(r"\s+[—–-]\s+(\S.*)$")
STUDY_TIME_RE = re.compile(r"^\*\*([^*]+)\*\*\s*:?\s*(\S.*)$")
DONE_MARK, PLANNED_MARK = "✅", "🚧"
PLANNED_MARKS = ("🚧", "⏳", "📝", "🔜")
# "🚧 **В разработке** — 29% (2 из 7 разделов)", "✅ Завершено - 100% (7/7)", ...
STATUS_RE = re.compile(
    r"(?P<icon>[✅🚧⏳]\ufe0f?\s*)?(?P<label>\*\*[^*]+\*\*|[^\d%—–(|:*✅🚧⏳]*?)\s*(?P<sep>[—–-]|:)\s*"
    r"(?P<percent>\d{1,3})\s*%\s*\((?P<done>\d+)(?P<of>\s*/\s*|\s+(?:из|of)\s+)(?P<total>\d+)"
    r"(?P<noun>\s+[^)\d]+)?\)"
)

# ## headings by what they hold (lower case, the course's two languages).
BLOCK_KINDS = {
    "описание": "description", "description": "description", "о части": "description",
    "статус": "status", "status": "status",
    "завершённые материалы": "published", "завершенные материалы": "published",
    "completed materials": "published", "готовые материалы": "published",
    "планируемые материалы": "planned", "planned materials": "planned",
    "в планах": "planned",
    "материалы": "materials", "materials": "materials", "содержание": "materials",
    "разделы": "materials", "contents": "materials", "sections": "materials",
    "время изучения": "study_time", "study time": "study_time",
}  # fmt: skip
# ### sub-headings inside a materials block that set the state of what follows.
SUBHEADING_STATES = {
    "завершено": True, "завершённые": True, "завершенные": True, "готово": True,
    "completed": True, "done": True, "written": True,
    "в разработке": False, "планируется": False, "планируемые": False, "в планах": False,
    "planned": False, "in progress": False,
}  # fmt: skip


def split_lines(text: str) -> list[str]:
    """Lines with their endings, so that "".join(lines) == text (CRLF, CR and LF kept)."""
    return re.findall(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$", text)


def _plain(text: str) -> str:
    """A line's text without its markers, links (their text kept) and bold."""
    text = LINK_RE.sub(lambda m: m.group(1), text)
    for mark in (DONE_MARK, *PLANNED_MARKS, "\ufe0f"):
        text = text.replace(mark, "")
    return text.replace("**", "").replace("__", "").strip()


def _block_kind(title: str) -> str | None:
    return BLOCK_KINDS.get(_plain(title).rstrip(":").strip().lower())


def _subheading_state(title: str) -> bool | None:
    if DONE_MARK in title and not SECTION_HEADING_RE.match(_plain(title)):
        return True
    if any(mark in title for mark in PLANNED_MARKS) and not SECTION_HEADING_RE.match(_plain(title)):
        return False
    return SUBHEADING_STATES.get(_plain(title).rstrip(":").strip().lower())


def _marked_state(text: str) -> bool | None:
    """The state a line states itself: ✅ or a link is written, 🚧 planned; None: unmarked."""
    if DONE_MARK in text:
        return True
    if any(mark in text for mark in PLANNED_MARKS):
        return False
    if LINK_RE.search(text):
        return True
    return None


def _material_link(text: str) -> str:
    """The relative Markdown file a line links ("./02_caching.md" -> "02_caching.md")."""
    for match in LINK_RE.finditer(text):
        href = match.group(2).split("#", 1)[0]
        if href and not href.startswith(("http://", "https://", "/", "mailto:")):
            parts = [p for p in href.split("/") if p not in ("", ".")]
            if parts and ".." not in parts:
                return "/".join(parts)
    return ""


def parse_part_readme(text: str) -> PartReadme:
    """Read a README; ReadmeError only when it has no `# Часть N: Title` line."""
    lines = [line.rstrip("\r\n") for line in split_lines(text)]
    warnings: list[str] = []
    title_at = next((i for i, line in enumerate(lines) if PART_TITLE_RE.match(line)), None)
    if title_at is None:
        first = next((i for i, line in enumerate(lines) if line.strip()), 0)
        raise ReadmeError(first + 1, "not a part README: no '# Часть N: Title' line")
    title_match = PART_TITLE_RE.match(lines[title_at])
    assert title_match is not None
    number = int(title_match.group(1))
    title = (title_match.group(2) or "").strip() or f"Часть {number}"

    # Blocks: (kind, heading line index, body line indexes); "intro" before the first ##.
    blocks: list[tuple[str, int, list[int]]] = [("intro", title_at, [])]
    footer_at: int | None = None
    for index in range(title_at + 1, len(lines)):
        line = lines[index]
        heading = HEADING_RE.match(line)
        if heading and len(heading.group(1)) == 2:
            kind = _block_kind(heading.group(2))
            if kind is None:
                warnings.append(f"{index + 1}: section {line.strip()!r} is kept as it is")
                kind = "extra"
            blocks.append((kind, index, []))
            footer_at = None
            continue
        if line.strip() in {"---", "***", "___"}:
            footer_at = index
        blocks[-1][2].append(index)

    def body(kind: str) -> list[int]:
        return next((lines_ for k, _at, lines_ in blocks if k == kind), [])

    # The footer: links after the last rule, when nothing but links follows it.
    nav_links: list[tuple[str, str]] = []
    if footer_at is not None:
        after = [lines[i] for i in range(footer_at + 1, len(lines)) if lines[i].strip()]
        if after and all(LINK_RE.search(line) for line in after):
            nav_links = [(m.group(1), m.group(2)) for line in after for m in LINK_RE.finditer(line)]
        else:
            footer_at = None
    cut = footer_at if footer_at is not None else len(lines)

    def text_of(indexes: list[int]) -> str:
        kept = [lines[i] for i in indexes if i < cut]
        while kept and (not kept[-1].strip() or kept[-1].strip() in {"---", "***", "___"}):
            kept.pop()  # blank lines and a closing rule are layout, not text
        return "\n".join(kept).strip("\n").rstrip()

    description = text_of(body("description")) or text_of(body("intro"))

    status: StatusLine | None = None
    stated_status = ""
    # The status block's line; else a line that says it is the status ("**Статус**: ...",
    # "🚧 В разработке — ..."), never a figure in some other text.
    status_candidates = [i for i in body("status") if lines[i].strip()] + [
        i
        for i in range(len(lines))
        if i not in body("status")
        and re.match(r"^\W*(?:статус|status|[✅🚧⏳])", lines[i].strip(), re.IGNORECASE)
    ]
    for index in status_candidates:
        if index >= cut:
            continue
        if match := STATUS_RE.search(lines[index]):
            status = StatusLine(index + 1, int(match.group("done")), int(match.group("total")))
            stated_status = lines[index].strip()
            break
    if status is None and body("status"):
        stated_status = text_of(body("status"))
        if stated_status:
            warnings.append(f"{body('status')[0] + 1}: the status line has no 'N% (N из M)'")

    study_time = ""
    if study := [lines[i].strip() for i in body("study_time") if i < cut and lines[i].strip()]:
        match = STUDY_TIME_RE.match(study[0])
        study_time = (match.group(2) if match else study[0]).strip()

    sections: list[ReadmeSection] = []
    for kind, _at, indexes in blocks:
        if kind in {"published", "planned", "materials", "extra"}:
            sections += _sections_of(
                lines, [i for i in indexes if i < cut], kind=kind, part=number, warnings=warnings
            )
    unique = first_of_each_number(sections, warnings)
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
    )


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
    block_published: bool
    topics: list[str] = field(default_factory=list)


def _sections_of(
    lines: list[str], indexes: list[int], *, kind: str, part: int, warnings: list[str]
) -> list[ReadmeSection]:
    # What an unmarked line means: a "### 4.3 Title" heading takes its ## block's word
    # (planned in one "Материалы" block, as the course writes planned sections); a numbered
    # item takes the last "### ✅ Завершено" / "### 🚧 В разработке" sub-heading's.
    headings_default = kind == "published"
    default = headings_default
    found: list[_Open] = []
    current: _Open | None = None
    ordinal = 0
    for index in indexes:
        line = lines[index]
        if not line.strip():
            continue
        heading = HEADING_RE.match(line)
        if heading:
            text = heading.group(2)
            numbered = SECTION_HEADING_RE.match(_plain(text))
            if kind == "extra" and not (numbered and numbered.group(1).startswith(f"{part}.")):
                current = None  # in a block we do not know, only "### 4.3 Title" is a section
                continue
            if numbered:
                current = _open(text, numbered.group(1), index, headings_default)
                found.append(current)
                continue
            state = _subheading_state(text)
            if state is not None:
                default = state
            else:
                warnings.append(f"{index + 1}: heading {line.strip()!r} is kept as it is")
            current = None
            continue
        item = NUMBERED_ITEM_RE.match(line) if kind != "extra" else None
        if item and not BULLET_RE.match(line):
            ordinal = int(item.group(1))
            current = _open(item.group(2), f"{part}.{ordinal}", index, default, numbered=True)
            found.append(current)
            continue
        bullet = BULLET_RE.match(line)
        if bullet and current is not None and bullet.group(2):
            current.topics.append(bullet.group(2))
            continue
        # Free text in a list of sections: kept in the README, not a section's.
    for section in found:
        if section.number.split(".")[0] != str(part):
            warnings.append(
                f"{section.line}: section {section.number} is not numbered in part {part}"
            )
    return [
        ReadmeSection(
            number=s.number, title=s.title, published=s.published, topics=tuple(s.topics),
            source_path=s.source_path, linked=s.linked, line=s.line,
            block_published=s.block_published,
        )
        for s in found
    ]  # fmt: skip


def _open(text: str, number: str, index: int, default: bool, *, numbered: bool = False) -> _Open:
    linked_path = _material_link(text)
    planned_file = BOLD_FILE_RE.search(LINK_RE.sub("", text))
    if numbered:
        # "**[01_x.md](./01_x.md)** — Title", "**02_x.md** — Title", "[Title](./x.md)", "Title"
        after = TITLE_AFTER_DASH_RE.search(text)
        title = _plain(after.group(1)) if after else _plain(text)
    else:
        title = _plain(text)
        if numbered_heading := SECTION_HEADING_RE.match(title):
            title = numbered_heading.group(2)
    marked = _marked_state(text)
    return _Open(
        number=number,
        title=title.strip() or number,
        published=default if marked is None else marked,
        source_path=linked_path or (planned_file.group(1) if planned_file else ""),
        linked=bool(linked_path),
        line=index + 1,
        block_published=default,
    )


# --- writing it back -------------------------------------------------------------------


def part_readme_rewrite(
    text: str,
    *,
    published: Mapping[str, bool],
    paths: Mapping[str, str] = {},
    done: int,
    total: int,
    status_words: Callable[[int, int], tuple[str, str, str]],
) -> str:
    """`text` with the status line's figures set to `done` of `total` and the marker of each
    section whose state in `published` (number -> written?) differs from the text's; `paths`
    (number -> material file) names the file to link where the text names none.

    `status_words(done, total)` gives (icon, label, "N из M разделов") in the course's
    language, used where the author's words no longer fit (a part that became complete).
    """
    readme = parse_part_readme(text)
    lines = split_lines(text)
    for section in readme.sections:
        wanted = published.get(section.number)
        if wanted is None or wanted == section.published:
            continue
        index = section.line - 1
        body, ending = _split_ending(lines[index])
        if wanted:
            path = section.source_path or paths.get(section.number, "")
            lines[index] = _marked_done(body, section.title, path) + ending
        else:
            lines[index] = _marked_planned(body, section.block_published) + ending
    if readme.status is not None:
        index = readme.status.line - 1
        body, ending = _split_ending(lines[index])
        lines[index] = _status_rewritten(body, done, total, status_words) + ending
    return "".join(lines)


def _split_ending(line: str) -> tuple[str, str]:
    stripped = line.rstrip("\r\n")
    return stripped, line[len(stripped) :]


def _marked_done(line: str, title: str, path: str) -> str:
    """A written section's line: its file linked (the bold file name or the heading's title),
    and on a heading, or where no link could be made, the ✅ of the course's headings."""
    for mark in PLANNED_MARKS:
        line = re.sub(rf"\s*{mark}\ufe0f?", "", line)
    if not LINK_RE.search(line) and path:
        href = f"./{path}"
        if f"**{path}**" in line:
            line = line.replace(f"**{path}**", f"**[{path}]({href})**", 1)
        elif line.lstrip().startswith("#") and title in line:
            line = line.replace(title, f"[{title}]({href})", 1)
    if DONE_MARK not in line and (line.lstrip().startswith("#") or not LINK_RE.search(line)):
        line = line.rstrip() + f" {DONE_MARK}"
    return line


def _marked_planned(line: str, block_published: bool) -> str:
    """A planned section's line: no ✅, no link (a link reads as written), and where the
    block says "written" of unmarked lines, the 🚧 that says otherwise."""
    line = re.sub(rf"\s*{DONE_MARK}\ufe0f?", "", line)
    line = LINK_RE.sub(lambda m: m.group(1), line)
    if block_published:
        line = line.rstrip() + f" {PLANNED_MARK}"
    return line


def _status_rewritten(
    line: str, done: int, total: int, words: Callable[[int, int], tuple[str, str, str]]
) -> str:
    match = STATUS_RE.search(line)
    if match is None or (int(match.group("done")), int(match.group("total"))) == (done, total):
        return line
    from courses.status import completion_percent

    icon, label, count = words(done, total)
    was_complete = int(match.group("done")) == int(match.group("total")) > 0
    now_complete = done == total > 0
    new_icon = match.group("icon") or ""
    new_label = match.group("label")
    if was_complete != now_complete:
        if new_icon:
            new_icon = icon + new_icon[len(new_icon.rstrip()) :]
        bold = new_label.startswith("**")
        new_label = f"**{label}**" if bold else label
    if match.group("of").strip() == "/":
        figures = f"{done}{match.group('of')}{total}"
    elif match.group("noun"):
        figures = count  # "2 из 7 разделов": the noun agrees with the new number
    else:
        figures = f"{done}{match.group('of')}{total}"
    replaced = (
        f"{new_icon}{new_label}{line[match.end('label') : match.start('percent')]}"
        f"{completion_percent(done, total)}{line[match.end('percent') : match.start('done')]}"
        f"{figures})"
    )
    return line[: match.start()] + replaced + line[match.end() :]
