"""Names and Role Provisioning (NRPS 2.0): an instructor syncs the LMS course's members.

Members get the account a launch would give them (tied to issuer and user id) and their role
in the course; a member no longer listed, or listed as inactive or deleted, is marked as
having left. Nothing of theirs is deleted: their enrolment and their work stay.

An LMS course of thousands of members takes many pages and seconds: the button asks for a
sync (`roster_sync_request`, a `RosterSync` row, queued), and a task on the `webhooks` queue
runs it (`roster_sync_run`); the page shows its status. Pressed twice, the sync in flight is
the answer."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from core.queueing import enqueue
from lti import claims
from lti.launch import LaunchError
from lti.models import Context, Membership, RosterSync
from lti.platform_http import PlatformHttpError, platform_call
from lti.services import identity_user, launch_role, membership_apply
from lti.tokens import access_token

logger = logging.getLogger(__name__)

# A sync queued or running longer than this was lost (its message, or its worker): a new
# request replaces it. Above the task's hard time limit (lti.tasks.sync_roster_task).
ROSTER_SYNC_STALE_AFTER = timedelta(minutes=15)

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


def roster_sync_request(
    *, context: Context, requested_by: User | None, now: datetime | None = None
) -> tuple[RosterSync, bool]:
    """Ask for a sync of the LMS course's members: a new one queued (True), or the one already
    queued or running (False: pressed twice, or by two instructors). One lost (queued or
    running for ROSTER_SYNC_STALE_AFTER) is marked failed and replaced."""
    if not context.memberships_url:
        raise LaunchError(_("The LMS did not offer its member list for this course."))
    now = now or timezone.now()
    with transaction.atomic():
        # The LMS course's row serialises requests: two at once find one sync, not two.
        Context.objects.select_for_update().filter(pk=context.pk).first()
        in_flight = RosterSync.objects.filter(
            context=context, status__in=[RosterSync.Status.QUEUED, RosterSync.Status.RUNNING]
        ).first()
        if in_flight is not None:
            if (in_flight.started_at or in_flight.created_at) > now - ROSTER_SYNC_STALE_AFTER:
                return in_flight, False
            lost = _("Lost: the sync stopped without an outcome.")
            _finish(in_flight, now=now, error=_source_text(lost))
        sync = RosterSync.objects.create(context=context, requested_by=requested_by)
        sync_id = sync.pk
        transaction.on_commit(lambda: _queue(sync_id))
    return sync, True


def _queue(sync_id: int) -> None:
    from lti.tasks import sync_roster_task

    if not enqueue(sync_roster_task, sync_id, what=f"LTI roster sync {sync_id}"):
        # The broker is down: said at once, and the button works again.
        RosterSync.objects.filter(pk=sync_id, status=RosterSync.Status.QUEUED).update(
            status=RosterSync.Status.FAILED, finished_at=timezone.now(),
            error=_source_text(_("The task queue is unavailable; try again later.")),
        )  # fmt: skip


def _source_text(message: Any) -> str:
    """A message as written in the source (English): stored so, and translated for whoever
    reads the page (the template's {% translate %}), not in the worker's language."""
    with translation.override("en"):
        return str(message)


def _finish(
    sync: RosterSync, *, now: datetime, error: str = "", synced: RosterSynced | None = None
) -> None:
    sync.status = RosterSync.Status.FAILED if synced is None else RosterSync.Status.DONE
    sync.error = error
    sync.active = synced.active if synced else None
    sync.left = synced.left if synced else None
    sync.finished_at = now
    sync.save(update_fields=["status", "error", "active", "left", "finished_at"])


def roster_sync_run(*, sync_id: int) -> str:
    """Run a queued sync; its status says how it went (done with the counts, or failed with
    why). Safe to run twice: only a queued sync is claimed."""
    with transaction.atomic():
        sync = (
            RosterSync.objects.select_for_update(of=("self",))
            .select_related("context__deployment__platform")
            .filter(pk=sync_id)
            .first()
        )
        if sync is None or sync.status != RosterSync.Status.QUEUED:
            return sync.status if sync else "missing"
        sync.status = RosterSync.Status.RUNNING
        sync.started_at = timezone.now()
        sync.save(update_fields=["status", "started_at"])
    try:
        synced = roster_sync(context=sync.context)
    except LaunchError as error:
        logger.warning("LTI roster sync of context %s: %s", sync.context_id, error.detail or error)
        _finish(sync, now=timezone.now(), error=_source_text(error.message))
    except Exception as error:  # the page says it failed (and the log why), never "running"
        logger.exception("LTI roster sync %s failed", sync_id)
        _finish(sync, now=timezone.now(), error=f"{type(error).__name__}: {error}"[:1000])
    else:
        _finish(sync, now=timezone.now(), synced=synced)
    return sync.status
