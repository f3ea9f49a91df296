"""Tokens (`POST /auth/token/` with a username and password) and `GET /me/`."""

from __future__ import annotations

from django.contrib.auth import authenticate
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import NotAuthenticated
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.roles import is_admin, taught_course_ids
from api.errors import ApiError
from api.models import ApiToken
from api.serializers import MeSerializer, TokenRequestSerializer, TokenSerializer
from api.services import token_create, token_revoke
from api.throttling import ScopedRateThrottle


class TokenView(APIView):
    """Exchange a username and password for a token; DELETE revokes the token in use.

    Not covered by Idempotency-Key: the token's secret is never stored, so a
    response could not be replayed; a retry creates another token.
    """

    permission_classes = [AllowAny]
    throttle_scope = "auth"
    throttle_classes = [ScopedRateThrottle]

    @extend_schema(
        request=TokenRequestSerializer,
        responses={201: TokenSerializer},
        auth=[],
        tags=["auth"],
    )
    def post(self, request: Request) -> Response:
        given = TokenRequestSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        user = authenticate(
            request._request,
            username=given.validated_data["username"],
            password=given.validated_data["password"],
        )
        if user is None or not user.is_active:
            raise ApiError("invalid_credentials", _("Wrong username or password."), status_code=401)
        issued = token_create(user=user, name=given.validated_data["name"])
        body = TokenSerializer(
            {
                "token": issued.key,
                "prefix": issued.token.prefix,
                "name": issued.token.name,
                "created_at": issued.token.created_at,
            }
        ).data
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={204: None}, tags=["auth"])
    def delete(self, request: Request) -> Response:
        if not request.user.is_authenticated:
            raise NotAuthenticated()
        if not isinstance(request.auth, ApiToken):
            raise ApiError(
                "not_token_authenticated",
                _("Revoke a token by calling this with that token."),
            )
        token_revoke(token=request.auth)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=MeSerializer, tags=["auth"])
    def get(self, request: Request) -> Response:
        user = request.user
        return Response(
            MeSerializer(
                {
                    "id": user.pk,
                    "username": user.get_username(),
                    "is_admin": is_admin(user),
                    "teaches": sorted(taught_course_ids(user)),
                }
            ).data
        )
