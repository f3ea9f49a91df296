"""Names and Role Provisioning (NRPS 2.0): an instructor syncs the LMS course's members.

Members get the account a launch would give them (tied to issuer and user id) and their role
in the course; a member no longer listed, or listed as inactive or deleted, is marked as
having left. Nothing of theirs is deleted: their enrolment and their work stay."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lti import claims
from lti.launch import LaunchError
from lti.models import Context, Membership
from lti.platform_http import PlatformHttpError, platform_call
from lti.services import identity_user, launch_role, membership_apply
from lti.tokens import access_token

MEMBERSHIP_CONTAINER = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"
MAX_PAGES = 100
_NEXT_LINK = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?')


@dataclass(frozen=True)
class RosterSynced:
    active: int
    left: int


def _members(context: Context) -> list[dict[str, Any]]:
    platform = context.deployment.platform
    token = access_token(platform=platform, scopes=[claims.SCOPE_NRPS])
    headers = {"Authorization": f"Bearer {token}", "Accept": MEMBERSHIP_CONTAINER}
    members: list[dict[str, Any]] = []
    url: str | None = context.memberships_url
    for _page in range(MAX_PAGES):
        if not url:
            break
        response = platform_call("GET", url, headers=headers)
        body = response.json()
        page = body.get("members") if isinstance(body, dict) else None
        if not isinstance(page, list):
            raise PlatformHttpError("the membership container has no members list")
        members += [m for m in page if isinstance(m, dict) and m.get("user_id")]
        found = _NEXT_LINK.search(response.headers.get("Link", ""))
        url = found.group(1) if found else None
    return members


def roster_sync(*, context: Context, now: datetime | None = None) -> RosterSynced:
    if not context.memberships_url:
        raise LaunchError(_("The LMS did not offer its member list for this course."))
    try:
        members = _members(context)
    except PlatformHttpError as error:
        raise LaunchError(
            _("The LMS did not give its member list; try again later."), detail=str(error)
        ) from error
    now = now or timezone.now()
    platform = context.deployment.platform
    active_ids = []
    with transaction.atomic():
        for member in members:
            if str(member.get("status", "Active")) != "Active":
                continue
            identity = identity_user(platform=platform, sub=str(member["user_id"]), body=member)
            role = launch_role([str(r) for r in member.get("roles") or []])
            membership_apply(context=context, identity=identity, role=role)
            active_ids.append(identity.pk)
        gone = list(
            Membership.objects.filter(context=context, left_at__isnull=True)
            .exclude(identity_id__in=active_ids)
            .select_related("identity")
        )
        for membership in gone:
            membership.left_at = now
            membership.save(update_fields=["left_at", "updated_at"])
            if membership.role != Membership.Role.LEARNER:
                # Teaching rights end with the teaching; a learner's enrolment and work stay.
                context.course.instructors.remove(membership.identity.user_id)
        context.roster_synced_at = now
        context.save(update_fields=["roster_synced_at"])
    return RosterSynced(active=len(active_ids), left=len(gone))
