"""The learner's progress on the course pages (courses' views know nothing of progress:
their templates ask here), and the part's block that refreshes itself when a grade arrives."""

from __future__ import annotations

from typing import Any

from django import template

from courses.models import Course, Part, Section
from courses.status import Completion
from progress import selectors
from progress.items import ItemState
from progress.models import SectionProgress
from progress.presentation import item_title_in_section
from progress.selectors import (
    CourseLearnerStanding,
    PartLearnerStanding,
    ReopenedSection,
    part_progress_for,
)

register = template.Library()


@register.inclusion_tag("progress/_learner_part_progress.html", takes_context=True)
def learner_part_progress(context: dict[str, Any], part: Part) -> dict[str, Any]:
    """Part progress of the signed-in learner; nothing for an anonymous visitor."""
    user = context["request"].user
    if not user.is_authenticated:
        return {"part": part, "completion": None}
    return {"part": part, "completion": part_progress_for(learner=user, part=part)}


@register.filter
def section_state(standing: PartLearnerStanding, section: Section) -> str:
    """`{{ standing|section_state:section }}`: the learner's state of one section."""
    return standing.section_states.get(section.pk, "not_started")


@register.simple_tag(takes_context=True)
def learner_enrolled(context: dict[str, Any], course: Course) -> bool:
    """`{% learner_enrolled course as enrolled %}`"""
    return selectors.is_enrolled(learner=context["request"].user, course=course)


@register.simple_tag(takes_context=True)
def learner_part_standing(
    context: dict[str, Any], part: Part, sections: list[Section]
) -> PartLearnerStanding | None:
    """`{% learner_part_standing part sections as standing %}`: one query, none for a visitor."""
    return selectors.part_standing_for(
        learner=context["request"].user, part=part, sections=sections
    )


@register.simple_tag(takes_context=True)
def learner_section_items(context: dict[str, Any], section: Section) -> list[ItemState]:
    """`{% learner_section_items section as items %}`: its quizzes and exercises, with the
    learner's state on each."""
    return selectors.section_items_for(learner=context["request"].user, section=section)


@register.simple_tag(takes_context=True)
def learner_section_progress(context: dict[str, Any], section: Section) -> SectionProgress | None:
    """`{% learner_section_progress section as progress %}`"""
    rows = selectors.section_progress_map(learner=context["request"].user, section_ids=[section.pk])
    return rows.get(section.pk)


@register.simple_tag(takes_context=True)
def learner_course_standing(
    context: dict[str, Any], course: Course
) -> CourseLearnerStanding | None:
    """`{% learner_course_standing course as standing %}`: two queries, none for a visitor."""
    return selectors.course_standing_for(learner=context["request"].user, course=course)


@register.filter
def part_completion(standing: CourseLearnerStanding, part: Part) -> Completion:
    """`{{ standing|part_completion:part }}`: the learner's completion of one part."""
    return standing.part(part.pk)


@register.simple_tag
def learner_section_reopened(
    section: Section, progress: SectionProgress | None, items: list[ItemState]
) -> ReopenedSection | None:
    """`{% learner_section_reopened section progress items as reopened %}`: why a section the
    learner had completed is open again (no query: from what the page loaded)."""
    return selectors.section_reopened_for(section=section, progress=progress, items=items)


@register.filter
def item_title(item: Any, section: Section) -> str:
    """`{{ entry.item|item_title:section }}`: a quiz's or exercise's title in its section."""
    return item_title_in_section(item.title, section.number)
