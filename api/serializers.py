"""Serializers of the API's own resources: tokens and the caller."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=4096, trim_whitespace=False)
    name = serializers.CharField(
        max_length=100, required=False, default="", help_text=_("A label for this token.")
    )


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text=_("Send it as 'Authorization: Token <token>'."))
    prefix = serializers.CharField()
    name = serializers.CharField()
    created_at = serializers.DateTimeField()


class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    is_admin = serializers.BooleanField()
    teaches = serializers.ListField(child=serializers.IntegerField(), help_text=_("Course ids."))
