"""Fixtures of the progress tests."""

from __future__ import annotations

import pytest

from courses.models import Part
from tests.factories import PartFactory, SectionFactory


@pytest.fixture
def part() -> Part:
    """Part 4 with its 7 sections, 4.1 to 4.7."""
    part = PartFactory.create(number=4)
    for index in range(1, 8):
        SectionFactory.create(part=part, number=f"4.{index}", order=index)
    return part
