"""OpenAPI: our token authentication (drf-spectacular finds it on import), and list filters
documented from the view sets' own declarations."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.ApiTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "Token-based authentication: 'Token <key>' (POST /api/v1/auth/token/).",
        }


class FilteringAutoSchema(AutoSchema):
    """A list operation documents the query filters its view set applies
    (ReadViewSet.filters): declared once, they cannot drift from the schema."""

    def get_override_parameters(self) -> list[Any]:
        parameters: list[Any] = super().get_override_parameters()
        filters = getattr(self.view, "filters", None)
        if filters and getattr(self.view, "action", None) == "list":
            parameters = [*(f.parameter(name) for name, f in filters.items()), *parameters]
        return parameters
