"""The API's fixture world (a course, its instructors, learners, a quiz and an exercise)."""

from tests.api.conftest import world

__all__ = ["world"]
