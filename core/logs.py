"""Log lines that name the learner's work they are about, in plain text or JSON.

`work_logging(attempt_id=…)` / `work_logging(submission_id=…)` marks a block (a grading task,
queueing a grading) as being about that work: every line logged inside it, by our code or a
library's, carries the id (`attempt_id`, `submission_id` in JSON; `[attempt 12]` in plain
text), so `jq 'select(.submission_id == 12)'` follows one submission through web and workers.
LOG_FORMAT=json (config/settings.py) writes one JSON object per line.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

_work: ContextVar[dict[str, int]] = ContextVar("zachet_work", default={})  # noqa: B039 - never mutated
WORK_LABELS = {"attempt_id": "attempt", "submission_id": "submission", "run_id": "examples run"}


@contextmanager
def work_logging(**ids: int) -> Iterator[None]:
    token = _work.set({**_work.get(), **ids})
    try:
        yield
    finally:
        _work.reset(token)


class WorkIdFilter(logging.Filter):
    """Puts the ids of the work being done on the record (and `work`, their plain text)."""

    def filter(self, record: logging.LogRecord) -> bool:
        ids = _work.get()
        record.work_ids = ids
        record.work = "".join(f" [{WORK_LABELS.get(k, k)} {v}]" for k, v in ids.items())
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "process": record.process,
            **getattr(record, "work_ids", {}),
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)
