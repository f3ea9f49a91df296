"""Reads of learner progress: a part's or a course's "N из M разделов" for one learner."""

from __future__ import annotations

from django.contrib.auth.models import User

from courses.models import Course, Part, Section
from courses.status import Completion
from progress.models import SectionProgress


def part_progress_for(*, learner: User, part: Part) -> Completion:
    """Completed sections of the part out of all its (non-archived) sections."""
    sections = Section.objects.filter(part=part).exclude(status=Section.Status.ARCHIVED)
    done = SectionProgress.objects.filter(
        learner=learner, section__in=sections, completed=True
    ).count()
    return Completion(done=done, total=sections.count())


def course_progress_for(*, learner: User, course: Course) -> Completion:
    sections = Section.objects.filter(part__course=course).exclude(status=Section.Status.ARCHIVED)
    done = SectionProgress.objects.filter(
        learner=learner, section__in=sections, completed=True
    ).count()
    return Completion(done=done, total=sections.count())
