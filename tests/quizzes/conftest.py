"""The API's fixture world (a course, its instructor, a learner and an attempt), for the
tests that compare the pages with the API."""

from tests.api.conftest import world

__all__ = ["world"]
