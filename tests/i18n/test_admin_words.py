"""The admin speaks Russian and English too: its own titles, and every model, field and choice
of ours has a translatable name (none falls back to the field's code name)."""

from __future__ import annotations

from django.apps import apps
from django.db import models
from django.utils.functional import Promise

OUR_APPS = ("accounts", "api", "courses", "grader", "progress", "quizzes", "teaching", "webhooks")

# Choice labels that are names in every language: they may stay plain strings, as long as they
# are not just the stored value shown again.
PROPER_NAMES = frozenset({"Go", "Python", "Markdown", "HTML"})


def untranslated() -> list[str]:
    found = []
    for app in OUR_APPS:
        try:
            config = apps.get_app_config(app)
        except LookupError:
            continue
        for model in config.get_models():
            meta = model._meta
            for name in ("verbose_name", "verbose_name_plural"):
                if not isinstance(getattr(meta, name), Promise):
                    found.append(f"{meta.label}.Meta.{name}")
            for field in meta.get_fields():
                if not isinstance(field, models.Field) or field.auto_created:
                    continue
                if not isinstance(field.verbose_name, Promise):
                    found.append(f"{meta.label}.{field.name}")
                for value, label in field.flatchoices or ():
                    if isinstance(label, Promise):
                        continue
                    if label not in PROPER_NAMES or label == value:
                        found.append(f"{meta.label}.{field.name} choice {label!r}")
    return found


def test_every_model_field_and_choice_of_ours_has_a_translatable_name() -> None:
    assert untranslated() == []
