"""Writes for accounts."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import transaction

from accounts.forms import SignupForm


def user_signup(*, form: SignupForm) -> User:
    """Create the learner's account from a valid sign-up form."""
    with transaction.atomic():
        return form.save()
