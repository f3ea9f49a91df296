"""Page-number pagination; a page size over 100 (or not a number) is refused, not clamped."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request

from api.errors import ApiError

MAX_PAGE_SIZE = 100


class ApiPagination(PageNumberPagination):
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE

    def get_page_size(self, request: Request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= MAX_PAGE_SIZE:
            raise ApiError(
                "invalid_page_size",
                _("page_size must be a whole number from 1 to %(max)s.") % {"max": MAX_PAGE_SIZE},
                fields={"page_size": [_("From 1 to %(max)s.") % {"max": MAX_PAGE_SIZE}]},
            )
        return int(raw)

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        return super().get_paginated_response_schema(schema)
