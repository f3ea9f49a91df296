"""Who must hear that an item's exam mode (its results policy or release date) changed.

Whether an item is in exam mode, and until when, decides what counts as done in progress
(deadlines.policy.counts_complete). The services that write dates (courses, parts, sections,
quizzes, exercises) wrap their saves in `results_rule_watch`; progress listens (registered in
its AppConfig.ready) and recounts the learners of the items below the row after the commit.
deadlines sits below all of them, so it names no listener itself."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager

from django.db import models

RESULTS_FIELDS = ("results_policy", "results_release_at")

# (the model of the row whose rule changed: Course, Part, Section, Quiz, CodingExercise; its id)
ResultsRuleListener = Callable[[type[models.Model], int], None]
_listeners: list[ResultsRuleListener] = []


def results_rule_listener_register(listener: ResultsRuleListener) -> None:
    if listener not in _listeners:
        _listeners.append(listener)


def _stored(instance: models.Model) -> tuple[object, ...] | None:
    if instance.pk is None:
        return None
    return (
        type(instance)._default_manager.filter(pk=instance.pk).values_list(*RESULTS_FIELDS).first()
    )


@contextmanager
def results_rule_watch(
    instance: models.Model, *, update_fields: Iterable[str] | None = None
) -> Iterator[None]:
    """Around the save of a row with dates: if its results policy or release date changed,
    the listeners hear it (inside the caller's transaction: they queue work on its commit).
    A new row has no learners' work yet: nothing to hear. A save of other fields only
    (`update_fields`) costs nothing."""
    if update_fields is not None and not set(update_fields) & set(RESULTS_FIELDS):
        yield
        return
    before = _stored(instance)
    yield
    after = tuple(getattr(instance, name) for name in RESULTS_FIELDS)
    if before is not None and instance.pk is not None and before != after:
        for listener in _listeners:
            listener(type(instance), instance.pk)
