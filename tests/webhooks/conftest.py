"""Webhooks are tested on the API's fixture world (a course, its instructor, a learner)."""

from tests.api.conftest import _fresh_throttles, world

__all__ = ["_fresh_throttles", "world"]
