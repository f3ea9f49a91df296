"""Render a part's README from the database, in the course's own format.

The inverse of `courses.course_source.parse_part_readme`: importing a README and
exporting it gives the same text back.
"""

from __future__ import annotations

from django.utils import translation

from courses.course_source import README_HEADINGS
from courses.models import Part, Section
from courses.status import Completion, part_status_line


def part_readme_render(*, part: Part) -> str:
    language = part.course.language if part.course.language in README_HEADINGS else "ru"
    headings = README_HEADINGS[language]
    sections = list(part.sections.exclude(status=Section.Status.ARCHIVED).order_by("order", "id"))
    published = [s for s in sections if s.status == Section.Status.PUBLISHED]
    planned = [s for s in sections if s.status == Section.Status.PLANNED]
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
