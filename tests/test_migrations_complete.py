"""Every model change has its migration: a field's help text changed after its migration was
written (issue 23's exam mode) and nothing noticed until a `makemigrations --check` by hand."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_no_model_change_is_without_its_migration():
    out = io.StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out, verbosity=1)
    except SystemExit as exit_:
        pytest.fail(f"missing migrations (exit {exit_.code}):\n{out.getvalue()}")
