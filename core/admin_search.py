"""Admin search that ignores letter case in every alphabet, on SQLite too.

Django's `icontains` is `LIKE` on SQLite, and SQLite's LIKE folds ASCII letters only: in the
Russian admin «горутины» did not find the question «Горутины и каналы» (issue 20). On SQLite
the text fields searched are compared casefolded by Python; elsewhere (PostgreSQL: UPPER on
both sides) the lookup is Django's `icontains` as is.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.utils import NotRelationField, get_fields_from_path
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models.lookups import IContains
from django.http import HttpRequest

LOOKUP = "casefold_contains"
SQLITE_FUNCTION = "zachet_casefold"


def casefold(value: Any) -> Any:
    return value.casefold() if isinstance(value, str) else value


class CasefoldContains(IContains):
    # Registered as `casefold_contains`; its lookup_name stays "icontains", so that on every
    # other database Django compiles it exactly as icontains (operators, casts).

    def as_sqlite(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        # Registered on each use: cheap, and then no connection (a new one, a test's) lacks it.
        connection.ensure_connection()
        connection.connection.create_function(SQLITE_FUNCTION, 1, casefold, deterministic=True)
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        sql = f"{SQLITE_FUNCTION}({lhs}) LIKE {SQLITE_FUNCTION}({rhs}) ESCAPE '\\'"
        return sql, [*lhs_params, *rhs_params]


models.CharField.register_lookup(CasefoldContains, lookup_name=LOOKUP)
models.TextField.register_lookup(CasefoldContains, lookup_name=LOOKUP)


def ignoring_case(model: type[models.Model], search_field: str) -> str:
    """A search field ("title", "quiz__title") that holds text, with the casefold lookup;
    any other (a number, an exact "=slug", one that names its own lookup) as it is."""
    if search_field[:1] in ("^", "=", "@"):
        return search_field
    try:
        field = get_fields_from_path(model, search_field)[-1]
    except (FieldDoesNotExist, NotRelationField):
        return search_field
    if isinstance(field, models.CharField | models.TextField):
        return f"{search_field}__{LOOKUP}"
    return search_field


class SearchIgnoresCase(admin.ModelAdmin):
    """The changelist's search finds text whatever its letters' case, in any alphabet."""

    def get_search_fields(self, request: HttpRequest) -> list[str]:
        return [ignoring_case(self.model, name) for name in super().get_search_fields(request)]
