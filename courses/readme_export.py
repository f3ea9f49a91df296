"""A part's README from the database.

A part imported from a README is written back as the author wrote it, with only the lines
the platform owns brought up to date (courses.part_readme.part_readme_rewrite): importing a
README and exporting it gives the same bytes back. A part made in the admin is rendered in
the course's own format.
"""

from __future__ import annotations

from django.utils import translation

from courses.course_source import README_HEADINGS, mojibake_repaired
from courses.models import Part, Section
from courses.part_readme import parse_part_readme, part_readme_rewrite
from courses.section_matching import sections_matched
from courses.status import Completion, part_status_line


def part_readme_render(*, part: Part) -> str:
    language = part.course.language if part.course.language in README_HEADINGS else "ru"
    headings = README_HEADINGS[language]
    sections = list(part.sections.exclude(status=Section.Status.ARCHIVED).order_by("order", "id"))
    published = [s for s in sections if s.status == Section.Status.PUBLISHED]
    planned = [s for s in sections if s.status == Section.Status.PLANNED]
    if part.source_text:
        return _source_rewritten(part, sections)
    with translation.override(language):
        status = part_status_line(Completion(done=len(published), total=len(sections)))

    out: list[str] = [f"# {headings['part']} {part.number}: {part.title}", ""]
    if part.description:
        out += [f"## {headings['description']}", "", part.description, ""]
    out += [f"## {headings['status']}", "", status, ""]
    for key, group in (("published", published), ("planned", planned)):
        if not group:
            continue
        out += [f"## {headings[key]}", ""]
        for section in group:
            out.append(_section_heading(section))
            out += [f"- {topic}" for topic in section.topics]
            out.append("")
    if part.study_time:
        out += [
            f"## {headings['study_time']}",
            "",
            f"**{headings['study_time_label']}**: {part.study_time}",
            "",
        ]
    if part.nav_links:
        out += [
            "---",
            "",
            " | ".join(f"[{link['label']}]({link['href']})" for link in part.nav_links),
        ]
    return "\n".join(out).rstrip("\n") + "\n"


def _section_heading(section: Section) -> str:
    if section.status == Section.Status.PUBLISHED:
        if section.source_path:
            return f"### {section.number} [{section.title}](./{section.source_path}) ✅"
        return f"### {section.number} {section.title} ✅"
    return f"### {section.number} {section.title}"


def _source_rewritten(part: Part, sections: list[Section]) -> str:
    # A README that reached git mis-encoded (UTF-8 read through a code page and saved again)
    # was imported repaired; it goes back in its own encoding, so only the platform's lines
    # differ in git. (The import's warning tells its author to save it as UTF-8.)
    text, codec = mojibake_repaired(part.source_text)
    # Each README line's section, found as the import found it (by file, title, number: an
    # mdBook's numbers are SUMMARY.md's, not its README's).
    lines = parse_part_readme(text).sections
    rows = sections_matched(lines, sections, by_number=True)
    rewritten = part_readme_rewrite(
        text,
        published={
            line.number: row.status == Section.Status.PUBLISHED
            for line, row in zip(lines, rows, strict=True)
            if row is not None
        },
        paths={
            line.number: row.source_path
            for line, row in zip(lines, rows, strict=True)
            if row is not None and row.source_path
        },
        done=sum(1 for s in sections if s.status == Section.Status.PUBLISHED),
        total=len(sections),
    )
    if codec is None:
        return rewritten
    try:
        return rewritten.encode("utf-8").decode(codec)
    except UnicodeDecodeError:
        return rewritten  # a new character the code page has no byte for: UTF-8 it is
