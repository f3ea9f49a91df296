"""Writing a README back (the export): the author's text with only the lines the platform
owns changed, so its git diff is a line or two."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from courses.part_readme.lines import (
    DONE_MARK,
    DONE_MARKS,
    PLANNED_MARK,
    WEAK_PLANNED_MARKS,
    find_links,
    line_state,
    material_path,
    split_lines,
)
from courses.part_readme.model import ReadmeSection
from courses.part_readme.reading import parse_part_readme
from courses.part_readme.status import status_rewritten


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
        lines[index] = status_rewritten(body, done, total) + ending
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
