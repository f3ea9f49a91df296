"""Grades back to the LMS (LTI AGS 2.0): when a learner's work on a linked quiz or exercise is
graded or regraded, their standing on the item is posted to the link's line item.

In the grading transaction (a listener of the grading events) a ScoreDelivery row is written
per link: the outbox, so a score survives a broker outage. The `webhooks` worker posts it with
an access token from our signed client assertion, retries with back-off while the platform
fails, and keeps the outcome for the delivery log. Deliveries of one learner and link go out
in the order the scores were decided: an older one is never sent after a newer one (it is
marked superseded), and the AGS `timestamp` lets the platform refuse one that overtook. A
score of an item whose results are held (exam mode, deadlines) is held too, and sent once they
are released: the LMS shows its gradebook to the learner. The claim, back-off, outcome, sweep
and "send again" are the outbox webhook deliveries use too (core.outbox); the ordering and the
hold are LTI's own, a hook of the claim (`_score_order`)."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core import outbox
from core.queueing import enqueue
from core.storable import storable_text
from deadlines.selectors import item_results_gate
from grader.models import Submission
from grader.selectors import exercise_standing
from lti import claims
from lti.deep_linking import quiz_points
from lti.models import Identity, Platform, ResourceLink, ScoreDelivery
from lti.platform_http import PlatformHttpError, PlatformResponse, platform_call
from lti.tokens import access_token, access_token_forget
from quizzes.models import Attempt
from quizzes.selectors import quiz_result_for
from webhooks.services import event_listener_register

logger = logging.getLogger(__name__)

SCORE_CONTENT_TYPE = "application/vnd.ims.lis.v1.score+json"
LINEITEM_CONTENT_TYPE = "application/vnd.ims.lis.v2.lineitem+json"
# A delivery waits this long while an earlier one of the same learner and link is in flight.
IN_FLIGHT_WAIT_SECONDS = 2.0


def listeners_register() -> None:
    event_listener_register(score_event_record)


# --- recording, in the grading transaction -------------------------------------------------


def score_event_record(event: str, object_id: int) -> None:
    if event == "attempt.graded":
        attempt = (
            Attempt.objects.filter(pk=object_id, status=Attempt.Status.GRADED)
            .values("learner_id", "quiz_id")
            .first()
        )
        if attempt is not None:
            scores_record(learner_id=attempt["learner_id"], quiz_id=attempt["quiz_id"])
    elif event == "submission.graded":
        submission = (
            Submission.objects.filter(pk=object_id, status=Submission.Status.GRADED)
            .values("learner_id", "exercise_id")
            .first()
        )
        if submission is not None:
            scores_record(
                learner_id=submission["learner_id"], exercise_id=submission["exercise_id"]
            )


@dataclass(frozen=True)
class ItemScore:
    given: Decimal
    maximum: Decimal


def item_score(*, learner_id: int, link: ResourceLink) -> ItemScore:
    """The learner's standing on the item, as the course's progress counts it: a quiz's
    percent by its score policy (of its points), an exercise's best score (of its points).
    The maximum is the one deep linking gave the line item."""
    if link.quiz is not None:
        percent = Decimal(quiz_result_for(learner_id=learner_id, quiz=link.quiz).percent or 0)
        points = quiz_points(link.quiz)
        if not points:
            return ItemScore(percent, Decimal(100))
        return ItemScore((percent * points / 100).quantize(Decimal("0.01")), points)
    exercise = link.exercise
    assert exercise is not None  # (a link has one target: a constraint)
    _complete, best = exercise_standing(learner_id=learner_id, exercise_id=exercise.pk)
    return ItemScore(Decimal(best or 0), Decimal(exercise.points))


def scores_record(
    *, learner_id: int, quiz_id: int | None = None, exercise_id: int | None = None
) -> list[ScoreDelivery]:
    """A delivery per LMS link of the item the learner launched from (none for learners who
    never came through an LMS: one indexed query)."""
    identity = Identity.objects.filter(user_id=learner_id).first()
    if identity is None:
        return []
    links = (
        ResourceLink.objects.filter(
            context__deployment__platform_id=identity.platform_id,
            context__memberships__identity=identity,
            **({"quiz_id": quiz_id} if quiz_id is not None else {"exercise_id": exercise_id}),
        )
        # A link with no line item of its own gets one made in its course's line items
        # (`lineitem_ensure`), when the LMS offers them.
        .exclude(lineitem_url="", context__lineitems_url="")
        .select_related("quiz", "exercise")
    )
    now = timezone.now()
    deliveries = []
    for link in links:
        score = item_score(learner_id=learner_id, link=link)
        deliveries.append(
            ScoreDelivery.objects.create(
                link=link,
                identity=identity,
                score_given=score.given,
                score_maximum=score.maximum,
                graded_at=now,
            )
        )
    outbox.queue_on_commit(ids=[delivery.pk for delivery in deliveries], queue=score_queue)
    return deliveries


def score_queue(*, delivery_id: int, countdown: float = 0) -> bool:
    from lti.tasks import deliver_score_task

    return enqueue(
        deliver_score_task, delivery_id, what=f"LTI score {delivery_id}", countdown=countdown
    )


# --- sending -------------------------------------------------------------------------------


def scores_url(lineitem: str) -> str:
    """AGS 3.4: the scores service is the line item URL with /scores on its path."""
    parts = urlsplit(lineitem)
    return urlunsplit(parts._replace(path=parts.path.rstrip("/") + "/scores"))


def score_body(delivery: ScoreDelivery) -> dict[str, object]:
    return {
        "userId": delivery.identity.sub,
        "scoreGiven": float(delivery.score_given),
        "scoreMaximum": float(delivery.score_maximum),
        "activityProgress": "Completed",
        "gradingProgress": "FullyGraded",
        "timestamp": delivery.graded_at.isoformat(timespec="milliseconds"),
    }


def _platform_post(
    platform: Platform, scopes: list[str], url: str, *, content_type: str, body: bytes
) -> PlatformResponse:
    """POST with a bearer token of these scopes; a token the platform refused (revoked before
    it expired) is fetched again once."""
    for attempt in (1, 2):
        token = access_token(platform=platform, scopes=scopes)
        headers = {"Authorization": f"Bearer {token}", "Content-Type": content_type}
        try:
            return platform_call("POST", url, headers=headers, body=body)
        except PlatformHttpError as error:
            if error.status == 401 and attempt == 1:
                access_token_forget(platform=platform, scopes=scopes)
                continue
            raise
    raise AssertionError("unreachable")


def lineitem_ensure(*, link: ResourceLink, maximum: Decimal) -> str:
    """The link's line item; made in the LMS course's line items (AGS 3.2) for a link the LMS
    gave none (a link added by hand rather than by deep linking)."""
    if link.lineitem_url:
        return link.lineitem_url
    with transaction.atomic():
        # Locked through the LMS's answer: two learners' first scores make one line item.
        locked = (
            # (of the link only: PostgreSQL locks no nullable side of an outer join)
            ResourceLink.objects.select_for_update(of=("self",))
            .select_related("context__deployment__platform", "quiz", "exercise")
            .get(pk=link.pk)
        )
        if not locked.lineitem_url:
            item = locked.quiz or locked.exercise
            body = {
                "scoreMaximum": float(maximum),
                "label": item.title if item is not None else locked.resource_link_id,
                "resourceLinkId": locked.resource_link_id,
                "resourceId": f"quiz:{locked.quiz_id}" if locked.quiz_id else
                              f"exercise:{locked.exercise_id}",
            }  # fmt: skip
            created = _platform_post(
                locked.context.deployment.platform, [claims.SCOPE_LINEITEM],
                locked.context.lineitems_url, content_type=LINEITEM_CONTENT_TYPE,
                body=json.dumps(body).encode(),
            ).json()  # fmt: skip
            url = created.get("id") if isinstance(created, dict) else None
            if not isinstance(url, str) or not url.startswith(("https://", "http://")):
                raise PlatformHttpError("the new line item has no id")
            locked.lineitem_url = url
            locked.save(update_fields=["lineitem_url"])
    link.lineitem_url = locked.lineitem_url
    return link.lineitem_url


def _post_score(delivery: ScoreDelivery) -> int:
    link = delivery.link
    lineitem = lineitem_ensure(link=link, maximum=delivery.score_maximum)
    body = json.dumps(score_body(delivery)).encode()
    platform = link.context.deployment.platform
    return _platform_post(
        platform, [claims.SCOPE_SCORE], scores_url(lineitem),
        content_type=SCORE_CONTENT_TYPE, body=body,
    ).status  # fmt: skip


def _score_order(delivery: ScoreDelivery, now: datetime) -> outbox.SendOutcome | None:
    """LTI's checks before a claim, under the row's lock: a score of an item whose results
    are held waits for them; deliveries of one learner and link go out in the order the
    scores were decided (`graded_at`), one at a time."""
    item = delivery.link.quiz or delivery.link.exercise
    if item is not None and item_results_gate(item=item, now=now).held:
        delivery.status = ScoreDelivery.Status.HELD
        delivery.next_attempt_at = None
        delivery.save(update_fields=["status", "next_attempt_at"])
        return outbox.SendOutcome(delivery.pk, delivery.status)
    siblings = ScoreDelivery.objects.filter(
        link_id=delivery.link_id, identity_id=delivery.identity_id
    ).exclude(pk=delivery.pk)
    if siblings.filter(graded_at__gt=delivery.graded_at).exists():
        # A newer score exists: this one must never reach the platform after it.
        delivery.status = ScoreDelivery.Status.SUPERSEDED
        delivery.next_attempt_at = None
        delivery.save(update_fields=["status", "next_attempt_at"])
        return outbox.SendOutcome(delivery.pk, delivery.status)
    if siblings.filter(
        status=ScoreDelivery.Status.SENDING, claimed_at__gte=now - outbox.SENDING_STALE_AFTER
    ).exists():
        # An earlier score of this learner and link is on its way: after it.
        delivery.next_attempt_at = now + timedelta(seconds=IN_FLIGHT_WAIT_SECONDS)
        delivery.save(update_fields=["next_attempt_at"])
        return outbox.SendOutcome(delivery.pk, delivery.status, retry_in=IN_FLIGHT_WAIT_SECONDS)
    return None


def score_send(*, delivery_id: int, now: datetime | None = None) -> outbox.SendOutcome:
    """Post one score if it is due; safe to run twice (the row is claimed first)."""
    now = now or timezone.now()
    claimed = outbox.claim(
        model=ScoreDelivery,
        delivery_id=delivery_id,
        now=now,
        related=[
            "link__context__deployment__platform",
            "link__quiz__section__part__course",
            "link__exercise__section__part__course",
            "identity",
        ],
        before_claim=_score_order,
    )
    if isinstance(claimed, outbox.SendOutcome):
        return claimed
    delivery = claimed
    try:
        delivery.response_code = _post_score(delivery)
        delivery.error = ""
        ok = True
    except PlatformHttpError as error:
        delivery.response_code = error.status
        delivery.error = storable_text(str(error), limit=1000)
        ok = False
    outcome = outbox.outcome_record(
        delivery=delivery,
        now=now,
        ok=ok,
        max_attempts=settings.LTI_SCORE_MAX_ATTEMPTS,
        retry_base_seconds=settings.LTI_SCORE_RETRY_BASE_SECONDS,
    )
    if outcome.status == ScoreDelivery.Status.FAILED:
        logger.warning("LTI score %s failed for good: %s", delivery.pk, delivery.error)
    return outcome


def score_resend(*, delivery: ScoreDelivery) -> ScoreDelivery:
    """The same score again, as a new delivery (the log keeps both). Ordered as the original:
    it is superseded if a newer score exists."""
    return outbox.send_again(
        create=lambda: ScoreDelivery.objects.create(
            link=delivery.link,
            identity=delivery.identity,
            score_given=delivery.score_given,
            score_maximum=delivery.score_maximum,
            graded_at=delivery.graded_at,
            resend_of=delivery,
        ),
        queue=score_queue,
    )


def score_deliveries_send_due(*, now: datetime | None = None) -> int:
    """The sweep: queue retries that are due, and deliveries a dead worker or broker lost."""
    now = now or timezone.now()
    outbox.abandoned_requeue(
        model=ScoreDelivery,
        now=now,
        max_attempts=settings.LTI_SCORE_MAX_ATTEMPTS,
        give_up_reason=lambda _attempts: (
            "sent the allowed number of times and its outcome never stored; given up"
        ),
        what="LTI score",
        log=logger,
    )
    due = scores_released(now=now) + outbox.due(model=ScoreDelivery, now=now)
    due = sorted(set(due))  # (a released one may be a stale pending one too)
    for delivery_id in due:
        score_queue(delivery_id=delivery_id)
    return len(due)


def scores_released(*, now: datetime) -> list[int]:
    """Held deliveries whose item's results are now released (by its date or an instructor's
    button), made pending again: their ids. One gate per item, whatever the learners."""
    held = ScoreDelivery.objects.filter(status=ScoreDelivery.Status.HELD).select_related(
        "link__quiz__section__part__course", "link__exercise__section__part__course"
    )
    items: dict[tuple[str, int], bool] = {}
    released = []
    for delivery in held[:2000]:
        item = delivery.link.quiz or delivery.link.exercise
        if item is None:
            continue
        key = ("quiz" if delivery.link.quiz_id else "exercise", item.pk)
        if key not in items:
            items[key] = item_results_gate(item=item, now=now).held
        if not items[key]:
            released.append(delivery.pk)
    if released:
        ScoreDelivery.objects.filter(pk__in=released, status=ScoreDelivery.Status.HELD).update(
            status=ScoreDelivery.Status.PENDING, next_attempt_at=None
        )
    return released
