"""Query helpers over learners' work that the grading apps share."""

from __future__ import annotations

from typing import Any

from django.db.models import OuterRef, QuerySet, Subquery


def latest_per_learner(rows: QuerySet[Any], *, by: str) -> QuerySet[Any]:
    """Of `rows`, each learner's latest (the highest `by`: an attempt's number, an id)."""
    last = rows.filter(learner_id=OuterRef("learner_id")).order_by(f"-{by}").values(by)
    return rows.filter(**{by: Subquery(last[:1])})
