"""The learner's progress in a part, as a block that refreshes itself when a grade arrives."""

from __future__ import annotations

from typing import Any

from django import template

from courses.models import Part, Section
from progress.selectors import PartLearnerStanding, part_progress_for

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
