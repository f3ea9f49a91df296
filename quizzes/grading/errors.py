"""The two errors of the grading core: a bad question spec, a bad learner response."""

from __future__ import annotations


class SpecError(ValueError):
    """A question spec that does not follow docs/question-types.md; the message names the field."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ResponseError(ValueError):
    """A learner response of the wrong shape; the message names the field."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
