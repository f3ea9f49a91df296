"""Query parameters of list filters, parsed strictly: a bad value is a 400, not a 500."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter
from rest_framework.request import Request

from api.errors import ApiError

MAX_ID = 2**63 - 1


def int_param(request: Request, name: str) -> int | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    # isascii: str.isdigit() also accepts "²", which int() refuses.
    if not (raw.isascii() and raw.isdigit()) or int(raw) > MAX_ID:
        raise ApiError(
            "invalid_filter",
            _("%(name)s must be a positive whole number.") % {"name": name},
            fields={name: [_("A positive whole number.")]},
        )
    return int(raw)


def choice_param(request: Request, name: str, choices: Iterable[str]) -> str | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    allowed = list(choices)
    if raw not in allowed:
        raise ApiError(
            "invalid_filter",
            _("%(name)s must be one of: %(choices)s.")
            % {"name": name, "choices": ", ".join(allowed)},
            fields={name: [_("Not one of the choices.")]},
        )
    return raw


@dataclass(frozen=True)
class IdFilter:
    """`?name=<id>`: only the rows whose `field` is that id; `what` completes "Only ..." in the
    schema ("quizzes of this section")."""

    field: str
    what: str

    def value(self, request: Request, name: str) -> int | None:
        return int_param(request, name)

    def parameter(self, name: str) -> OpenApiParameter:
        return OpenApiParameter(name, int, description=f"Only {self.what}.")


@dataclass(frozen=True)
class ChoiceFilter:
    """`?name=<choice>`: only the rows whose `field` has that value."""

    field: str
    choices: Sequence[str]
    what: str

    def value(self, request: Request, name: str) -> str | None:
        return choice_param(request, name, self.choices)

    def parameter(self, name: str) -> OpenApiParameter:
        return OpenApiParameter(
            name, str, enum=list(self.choices), description=f"Only {self.what}."
        )


ListFilter = IdFilter | ChoiceFilter
