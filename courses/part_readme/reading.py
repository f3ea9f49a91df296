"""Reading a README: its title, blocks, description, study time, status and footer; the
sections themselves are read by `sections.SectionReader`."""

from __future__ import annotations

import re
from collections.abc import Sequence

from courses.part_readme.lines import (
    BOLD_LINE_RE,
    BULLET_RE,
    FENCE_RE,
    HEADING_RE,
    NUMBERED_ITEM_RE,
    PART_TITLE_RE,
    REFERENCE_RE,
    RULE_RE,
    SECTION_KINDS,
    SETEXT_H1_RE,
    SETEXT_PART_TITLE_RE,
    STUDY_TIME_RE,
    block_kind,
    find_links,
    material_path,
    split_lines,
)
from courses.part_readme.model import PartReadme, ReadmeError, StatusLine
from courses.part_readme.sections import SectionReader, first_of_each_number
from courses.part_readme.status import says_it_is_the_status, starts_like_the_status, status_match


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
        if SETEXT_H1_RE.match(next_line) and (match := SETEXT_PART_TITLE_RE.match(line)):
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
            kind = block_kind(heading.group(2))
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
        *(i for i in elsewhere if says_it_is_the_status(view[i])),
        # (not a bold "**✅ Готово (2 из 3):**" sub-heading among the sections)
        *(
            i
            for i in elsewhere
            if starts_like_the_status(view[i])
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

    reader = SectionReader(part=number, view=view, references=references, warnings=warnings)
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


def _text_of(
    lines: Sequence[str], indexes: list[int], cut: int, skip: frozenset[int] = frozenset()
) -> str:
    kept = [lines[i] for i in indexes if i < cut and i not in skip]
    while kept and (not kept[-1].strip() or RULE_RE.match(kept[-1])):
        kept.pop()  # blank lines and a closing rule are layout, not text
    return "\n".join(kept).strip("\n").rstrip()
