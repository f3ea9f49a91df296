"""A course as its Markdown source describes it: parsed, validated, not yet in the database.

Two layouts are read (see `load_course_source`):

* a part README like the course's own (`# Часть 4: …`, "Описание", "Статус",
  "Завершённые материалы", "Планируемые материалы", "Время изучения", footer);
* an mdBook folder: `SUMMARY.md` with `# Part` headings and `- [Section](file.md)`
  items, the section files, and each part folder's `README.md` where present.

Every problem is a `CourseSourceError` naming the file and line. Nothing here
touches the database; `courses.services.course_import` writes what this returns.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath

from django.utils.text import slugify

from courses.part_readme import (
    PART_TITLE_RE,
    ReadmeError,
    find_links,
    first_of_each_number,
    part_number_of,
)
from courses.part_readme import parse_part_readme as parse_part_readme_text
from courses.section_matching import sections_matched

# --- Data ---------------------------------------------------------------------


@dataclass(frozen=True)
class NavLink:
    label: str
    href: str


@dataclass(frozen=True)
class SectionSource:
    number: str
    title: str
    published: bool
    topics: tuple[str, ...] = ()
    # Path of the material file relative to the part's folder ("02_caching.md").
    source_path: str = ""
    # The Markdown material; None when the source does not provide it (keep what is stored).
    material: str | None = None
    line: int = 0


@dataclass(frozen=True)
class PartSource:
    number: int
    title: str
    description: str = ""
    study_time: str = ""
    folder: str = ""
    source_path: str = ""
    nav_links: tuple[NavLink, ...] = ()
    sections: tuple[SectionSource, ...] = ()
    # The status line as written, to warn when it disagrees with the sections.
    stated_status: str = ""
    # The README as written (export changes only the lines the platform owns), and the
    # sections whose line links their file.
    source_text: str = ""
    linked: frozenset[str] = frozenset()


@dataclass(frozen=True)
class CourseSource:
    slug: str | None
    title: str | None
    description: str | None
    parts: tuple[PartSource, ...]
    # Whether the source is the whole course (mdBook) or one part of it (README).
    whole_course: bool
    warnings: tuple[str, ...] = ()


class CourseSourceError(Exception):
    """Bad course source: the message names the file and, where known, the line."""

    def __init__(self, path: Path | str, line: int | None, message: str) -> None:
        self.path = str(path)
        self.line = line
        self.message = message
        location = f"{self.path}:{line}" if line else self.path
        super().__init__(f"{location}: {message}")


# --- Reading files ------------------------------------------------------------

# UTF-8 text read through a single-byte code page and saved as UTF-8 again
# ("Часть" -> "–ß–∞—Å—Ç—å"). One of the course's own READMEs reached us that way.
MOJIBAKE_CODECS = ("mac_roman", "cp1252", "latin-1")
MAX_SOURCE_BYTES = 5 * 1024 * 1024


def read_source_text(
    path: Path, warnings: list[str] | None = None, *, as_written: bool = False
) -> str:
    """Read a UTF-8 Markdown file: refuse binary and non-UTF-8, repair mojibake, use LF.

    With `as_written`, the text exactly as in the file (its line endings, a byte order
    mark, its encoding even when mis-encoded): a README the export writes back line for line.
    """
    if not path.exists():
        raise CourseSourceError(path, None, "file not found")
    if not path.is_file():
        raise CourseSourceError(path, None, "not a file")
    data = path.read_bytes()
    if len(data) > MAX_SOURCE_BYTES:
        raise CourseSourceError(path, None, f"file is larger than {MAX_SOURCE_BYTES} bytes")
    if b"\x00" in data:
        line = data[: data.index(b"\x00")].count(b"\n") + 1
        raise CourseSourceError(path, line, "binary file (NUL byte), expected UTF-8 Markdown")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise CourseSourceError(
            path, line, f"not UTF-8 (byte 0x{data[error.start]:02x}); save the file as UTF-8"
        ) from None
    repaired, codec = mojibake_repaired(text)
    if codec is not None and warnings is not None:
        warnings.append(
            f"{path}: its text had been decoded as {codec} and saved again (mojibake); it was "
            "read repaired. Save the file as UTF-8 to fix it in git"
        )
    if as_written:
        return text
    return repaired.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def mojibake_repaired(text: str) -> tuple[str, str | None]:
    """Undo UTF-8 text that was decoded as a single-byte code page and re-encoded: (the
    text, the code page), or (`text`, None) when it is not such text.

    Legitimate text practically never survives the round trip "encode with a
    single-byte code page, decode as UTF-8" (it needs valid multi-byte
    sequences everywhere it has non-ASCII), so success means mojibake.
    """
    if text.isascii():
        return text, None
    for codec in MOJIBAKE_CODECS:
        try:
            candidate = text.encode(codec).decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            continue
        if candidate != text:
            return candidate, codec
    return text, None


# --- Part README ----------------------------------------------------------------

# The README's headings per course language; export uses the same table.
README_HEADINGS = {
    "ru": {
        "part": "Часть",
        "description": "Описание",
        "status": "Статус",
        "published": "Завершённые материалы",
        "planned": "Планируемые материалы",
        "study_time": "Время изучения",
        "study_time_label": "Примерно",
    },
    "en": {
        "part": "Part",
        "description": "Description",
        "status": "Status",
        "published": "Completed materials",
        "planned": "Planned materials",
        "study_time": "Study time",
        "study_time_label": "Approximately",
    },
}


def parse_part_readme(text: str, *, path: Path, warnings: list[str] | None = None) -> PartSource:
    """Read a part README tolerantly (courses.part_readme); refuse only a file that has no
    `# Часть N: Title` line. What it does not understand is named in `warnings`."""
    try:
        readme = parse_part_readme_text(mojibake_repaired(text)[0])
    except ReadmeError as error:
        raise CourseSourceError(path, error.line, error.message) from None
    if warnings is not None:
        warnings.extend(f"{path}:{warning}" for warning in readme.warnings)
    return PartSource(
        number=readme.number,
        title=readme.title,
        description=readme.description,
        study_time=readme.study_time,
        source_path=str(path),
        nav_links=tuple(NavLink(label=label, href=href) for label, href in readme.nav_links),
        sections=tuple(
            SectionSource(
                number=section.number,
                title=section.title,
                published=section.published,
                topics=section.topics,
                source_path=section.source_path,
                line=section.line,
            )
            for section in readme.sections
        ),
        stated_status=readme.stated_status,
        source_text=text,
        linked=frozenset(s.number for s in readme.sections if s.linked),
    )


def load_part_readme(path: Path, warnings: list[str]) -> PartSource:
    """A part README and, where they sit beside it, the section files it links."""
    part = parse_part_readme(
        read_source_text(path, warnings, as_written=True), path=path, warnings=warnings
    )
    sections: list[SectionSource] = []
    for section in part.sections:
        material = None
        if section.published and section.number in part.linked:
            material_file = path.parent / section.source_path
            if material_file.is_file():
                material = read_source_text(material_file, warnings)
            else:
                # A README is navigation: its links may point at files not shipped
                # with it. The stored material is kept rather than wiped.
                warnings.append(
                    f"{path}:{section.line}: {section.source_path} not found beside the README;"
                    f" material of section {section.number} left as it is"
                )
        sections.append(replace(section, material=material))
    return replace(part, sections=tuple(sections))


# --- mdBook ---------------------------------------------------------------------

SUMMARY_ITEM_RE = re.compile(r"^(\s*)[-*+]\s+(\[.*)$")
# A part's own page, listed first with its chapters nested under it.
PART_PAGES = {"readme.md", "index.md"}
NUMBERED_TITLE_RE = re.compile(r"^(\d+(?:\.\d+)+)\.?\s+(\S.*)$")
SUMMARY_TITLES = {"summary", "содержание", "оглавление"}


@dataclass
class _SummaryPart:
    number: int
    title: str
    line: int
    # (line, title, link, depth): depth 0 for a chapter, 1 for a chapter nested in it, ...
    items: list[tuple[int, str, str, int]] = field(default_factory=list)


def load_mdbook(root: Path, warnings: list[str]) -> CourseSource:
    """An mdBook course: SUMMARY.md (at the root or in src/), its files, the part READMEs."""
    summary_path = root / "SUMMARY.md"
    if not summary_path.is_file() and (root / "src" / "SUMMARY.md").is_file():
        summary_path = root / "src" / "SUMMARY.md"
    book_dir = summary_path.parent
    text = read_source_text(summary_path, warnings)

    parts: list[_SummaryPart] = []
    prefix_links: list[tuple[int, str]] = []
    indents: list[int] = []  # the indents of the open list levels
    for index, raw in enumerate(text.split("\n"), start=1):
        line = raw.rstrip()
        if not line.strip() or line.strip() == "---":
            continue
        if line.startswith("# "):
            heading = line[2:].strip()
            if not parts and heading.lower() in SUMMARY_TITLES:
                continue
            match = PART_TITLE_RE.match(line)
            if match:
                number, title = int(match.group(1)), match.group(2).strip()
            else:
                number, title = len(parts) + 1, heading
            if any(p.number == number for p in parts):
                raise CourseSourceError(summary_path, index, f"part {number} appears twice")
            parts.append(_SummaryPart(number=number, title=title, line=index))
            indents = []
            continue
        if (item := SUMMARY_ITEM_RE.match(line)) and (link := _summary_link(item.group(2))):
            if not parts:
                raise CourseSourceError(
                    summary_path, index, "chapter list before the first '# Part' heading"
                )
            indent = len(item.group(1).expandtabs(4))
            while indents and indent < indents[-1]:
                indents.pop()
            if not indents or indent > indents[-1]:
                indents.append(indent)
            depth = len(indents) - 1
            parts[-1].items.append((index, link[0], link[1], depth))
            continue
        if line.startswith("[") and (prefix := _summary_link(line.strip())):
            if parts:
                continue  # suffix chapters (appendices) are not sections
            prefix_links.append((index, prefix[1]))
            continue
        raise CourseSourceError(summary_path, index, f"unexpected line in SUMMARY.md: {line!r}")
    if not parts:
        raise CourseSourceError(summary_path, None, "no '# Part' headings: not an mdBook course")

    book = _read_book_toml(root, warnings)
    part_readmes = _part_readmes(book_dir)
    description: str | None = book.get("description")
    for line_no, intro_link in prefix_links[:1]:
        if intro_link and description is None:
            intro = _resolve_book_file(book_dir, intro_link, summary_path, line_no)
            description = read_source_text(intro, warnings).strip()

    return CourseSource(
        slug=slugify(root.resolve().name) or None,
        title=book.get("title"),
        description=description,
        parts=tuple(
            _mdbook_part(
                p,
                book_dir=book_dir,
                summary_path=summary_path,
                part_readmes=part_readmes,
                warnings=warnings,
            )
            for p in parts
        ),
        whole_course=True,
        warnings=tuple(warnings),
    )


def _summary_link(text: str) -> tuple[str, str] | None:
    """(title, link) of `[title](link)` alone on a line, as mdBook reads it: the title may
    hold brackets and code (`[[]byte и строки](x.md)`); a draft's link is empty."""
    links = find_links(text)
    if len(links) != 1 or links[0].start != 0 or text[links[0].end :].strip():
        return None
    title = " ".join(links[0].text.split())
    return (title, links[0].href) if title else None


def _read_book_toml(root: Path, warnings: list[str]) -> dict[str, str]:
    book_path = root / "book.toml"
    if not book_path.is_file():
        return {}
    try:
        data = tomllib.loads(read_source_text(book_path, warnings))
    except tomllib.TOMLDecodeError as error:
        raise CourseSourceError(book_path, getattr(error, "lineno", None), str(error)) from None
    book = data.get("book", {})
    return {k: str(v) for k, v in book.items() if k in {"title", "description"}}


def _resolve_book_file(book_dir: Path, link: str, summary_path: Path, line: int) -> Path:
    target = (book_dir / link).resolve()
    if not target.is_relative_to(book_dir.resolve()):
        raise CourseSourceError(summary_path, line, f"link {link!r} points outside the book")
    if not target.is_file():
        raise CourseSourceError(summary_path, line, f"link to a missing file {link!r}")
    return target


def _mdbook_part(
    summary: _SummaryPart,
    *,
    book_dir: Path,
    summary_path: Path,
    part_readmes: Mapping[int, Path],
    warnings: list[str],
) -> PartSource:
    """A part of SUMMARY.md: every chapter (nested ones and drafts `[Title]()` too) is a
    section; the part folder's README, whatever its shape, adds the description, study time,
    topics and planned sections SUMMARY.md does not list yet. SUMMARY.md wins a conflict.

    The part's folder is the one its README is in: the part's own page when SUMMARY.md lists
    it first (`- [Часть 1](part1/README.md)` with the chapters nested under it, which are
    then the part's sections), else the nearest folder above all its chapters that has a
    README, else the folder whose README says it is this part (a part of drafts only)."""
    items = list(summary.items)
    part_page: Path | None = None
    if _is_part_page(items):
        part_page = _resolve_book_file(book_dir, items[0][2], summary_path, items[0][0])
        items = [(line, title, link, max(depth - 1, 0)) for line, title, link, depth in items[1:]]
    files: list[Path | None] = []
    for line_no, _title, link, _depth in items:
        files.append(_resolve_book_file(book_dir, link, summary_path, line_no) if link else None)
    linked = [f for f in files if f is not None]
    root = book_dir.resolve()
    part_dir: Path | None = None
    if part_page is not None:
        part_dir = part_page.parent
        if not all(file.is_relative_to(part_dir) for file in linked):
            part_dir = _common_dir([part_page, *linked])  # chapters beside the part's folder
    elif linked:
        part_dir = _common_dir(linked)
        with_readme = part_dir
        while not (with_readme / "README.md").is_file() and with_readme.parent != root:
            if not with_readme.is_relative_to(root) or with_readme == root:
                break
            with_readme = with_readme.parent
        if (with_readme / "README.md").is_file() and with_readme != root:
            part_dir = with_readme
    elif summary.number in part_readmes:
        part_dir = part_readmes[summary.number].parent
    folder = str(part_dir.relative_to(root)) if part_dir else ""
    if folder == ".":
        folder = ""

    readme: PartSource | None = None
    readme_path = part_page or (part_dir / "README.md" if part_dir is not None else None)
    if part_page is not None and part_page.name.lower() != "readme.md":
        beside = part_page.parent / "README.md"  # "index.md" as the page, the README beside it
        readme_path = beside if beside.is_file() else part_page
    if readme_path is not None and part_dir != root and readme_path.is_file():
        text = read_source_text(readme_path, warnings, as_written=True)
        try:
            readme = parse_part_readme(text, path=readme_path, warnings=warnings)
        except CourseSourceError as error:
            warnings.append(f"{error}; its SUMMARY.md entries are imported without it")
        if readme is not None and readme.number != summary.number:
            warnings.append(
                f"{readme_path}:1: README is part {readme.number} but SUMMARY.md lists it as "
                f"part {summary.number}; SUMMARY.md wins and the README is not read"
            )
            readme = None
    chapters: list[SectionSource] = []
    numbers: list[str] = []  # the number of the open chapter at each depth
    counters: list[int] = []
    for (line_no, title, _link, depth), file in zip(items, files, strict=True):
        del numbers[depth:], counters[depth + 1 :]
        while len(counters) <= depth:
            counters.append(0)
        counters[depth] += 1
        numbered = NUMBERED_TITLE_RE.match(title)
        if numbered:
            number, title = numbered.group(1), numbered.group(2)
        else:
            parent = numbers[depth - 1] if depth and len(numbers) >= depth else str(summary.number)
            number = f"{parent}.{counters[depth]}"
        numbers.append(number)
        source_path, material = "", None
        if file is not None and part_dir is not None:
            if not file.is_relative_to(part_dir):  # (every chapter is: a bug of ours if not)
                raise CourseSourceError(
                    summary_path, line_no, f"chapter {file} is outside its part's folder {part_dir}"
                )
            source_path = str(PurePosixPath(*file.relative_to(part_dir).parts))
            material = read_source_text(file, warnings)
        chapters.append(
            SectionSource(
                number=number, title=title, published=file is not None,
                source_path=source_path, material=material, line=line_no,
            )
        )  # fmt: skip

    # The README's sections are SUMMARY.md's by file, title, then number (SUMMARY.md numbers
    # by position, a README as its author counts): they add their topics.
    described_by = sections_matched(chapters, readme.sections if readme else (), by_number=True)
    sections: list[SectionSource] = []
    for chapter, described in zip(chapters, described_by, strict=True):
        if described is not None and described.published != chapter.published:
            warnings.append(
                f"{summary_path}:{chapter.line}: section {chapter.number} is "
                f"{'published' if chapter.published else 'a draft'} in SUMMARY.md but "
                f"{'published' if described.published else 'planned'} in its part README;"
                " SUMMARY.md wins"
            )
        sections.append(replace(chapter, topics=described.topics) if described else chapter)
    # Sections a part README lists but SUMMARY.md does not (yet), imported as planned: a
    # planned one whose number SUMMARY.md gives to another chapter comes after the rest; one
    # that names a file SUMMARY.md does not have at its number is the README's stale word
    # on that chapter, and SUMMARY.md wins.
    described_ids = {id(described) for described in described_by if described is not None}
    by_number = {section.number: section for section in sections}
    last = max((int(n.split(".")[1]) for n in by_number if n.count(".") >= 1), default=0)
    for described in readme.sections if readme else ():
        if id(described) in described_ids:
            continue
        number = described.number
        if (other := by_number.get(number)) is not None:
            if described.source_path:
                warnings.append(
                    f"{readme_path}:{described.line}: section {number} is "
                    f"{described.source_path} in its part README but "
                    f"{other.source_path or 'a draft'} in SUMMARY.md; SUMMARY.md wins"
                )
                continue
            last += 1
            number = f"{summary.number}.{last}"
        if described.published or number != described.number:
            warnings.append(
                f"{readme_path}:{described.line}: section {described.number} "
                f"({described.title}) is not in SUMMARY.md; imported as planned section {number}"
            )
        section = replace(described, number=number, published=False, source_path="")
        by_number[number] = section
        sections.append(section)
    sections = first_of_each_number(sections, warnings, where=f"{summary_path}:")
    return PartSource(
        number=summary.number,
        title=summary.title if readme is None else readme.title,
        description=readme.description if readme else "",
        study_time=readme.study_time if readme else "",
        folder=folder,
        source_path=str(readme_path) if readme and readme_path else str(summary_path),
        nav_links=readme.nav_links if readme else (),
        sections=tuple(sections),
        stated_status=readme.stated_status if readme else "",
        source_text=readme.source_text if readme else "",
    )


def _is_part_page(items: list[tuple[int, str, str, int]]) -> bool:
    """Whether the first item of a part is the part's own page (`- [Часть 1](part1/README.md)`,
    its chapters nested under it or listed after it). A part whose top-level items are several
    projects, each a folder's README.md (or index.md) with its chapters nested under it, has
    no page of its own: each project is a section, its chapters the subsections."""
    if not items or items[0][3] != 0 or PurePosixPath(items[0][2]).name.lower() not in PART_PAGES:
        return False
    return not any(
        depth == 0 and PurePosixPath(link).name.lower() in PART_PAGES
        for _line, _title, link, depth in items[1:]
    )


def _part_readmes(book_dir: Path) -> dict[int, Path]:
    """The book's part READMEs (a folder or two down) by the part number their title says."""
    found: dict[int, Path] = {}
    for path in sorted([*book_dir.glob("*/README.md"), *book_dir.glob("*/*/README.md")]):
        try:
            head = path.read_bytes()[:8192].decode("utf-8", errors="replace")
        except OSError:
            continue
        if (number := part_number_of(head)) is not None:
            found.setdefault(number, path.resolve())
    return found


def _common_dir(files: list[Path]) -> Path:
    common = files[0].parent
    for file in files[1:]:
        while not file.is_relative_to(common):
            common = common.parent
    return common


# --- Entry point ----------------------------------------------------------------


def load_course_source(path: Path) -> CourseSource:
    """Read a part README file or an mdBook course folder."""
    warnings: list[str] = []
    if not path.exists():
        raise CourseSourceError(path, None, "no such file or folder")
    if path.is_dir():
        if not (path / "SUMMARY.md").is_file() and not (path / "src" / "SUMMARY.md").is_file():
            raise CourseSourceError(
                path, None, "not a course: a folder needs SUMMARY.md (mdBook layout)"
            )
        return load_mdbook(path, warnings)
    part = load_part_readme(path, warnings)
    return CourseSource(
        slug=None,
        title=None,
        description=None,
        parts=(part,),
        whole_course=False,
        warnings=tuple(warnings),
    )
