"""A part's README from the database.

A part imported from a README is written back as the author wrote it, with only the lines
the platform owns brought up to date (courses.part_readme.part_readme_rewrite): importing a
README and exporting it gives the same bytes back. A part made in the admin is rendered in
the course's own format.
"""

from __future__ import annotations

from django.utils import translation

from courses.course_source import README_HEADINGS
from courses.models import Part, Section
from courses.part_readme import part_readme_rewrite
from courses.status import Completion, part_status_icon, part_status_label, part_status_line


def part_readme_render(*, part: Part) -> str:
    language = part.course.language if part.course.language in README_HEADINGS else "ru"
    headings = README_HEADINGS[language]
    sections = list(part.sections.exclude(status=Section.Status.ARCHIVED).order_by("order", "id"))
    published = [s for s in sections if s.status == Section.Status.PUBLISHED]
    planned = [s for s in sections if s.status == Section.Status.PLANNED]
    if part.source_text:
        return _source_rewritten(part, sections, language)
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


def _source_rewritten(part: Part, sections: list[Section], language: str) -> str:
    def status_words(done: int, total: int) -> tuple[str, str, str]:
        completion = Completion(done=done, total=total)
        with translation.override(language):
            return (
                part_status_icon(completion),
                str(part_status_label(completion)),
                completion.count_text(),
            )

    return part_readme_rewrite(
        part.source_text,
        published={s.number: s.status == Section.Status.PUBLISHED for s in sections},
        paths={s.number: s.source_path for s in sections if s.source_path},
        done=sum(1 for s in sections if s.status == Section.Status.PUBLISHED),
        total=len(sections),
        status_words=status_words,
    )
