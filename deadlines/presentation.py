"""Dates and late work in words, for the pages, the API's messages and the errors.

"осталось 2 ч 10 мин", "сдача после срока: −10% в день", "8.0 → 7.2, сдано на 1 день позже".
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from deadlines import policy


def local_date(moment: datetime) -> str:
    """A date in the site's time zone (settings.TIME_ZONE); the pages show a <time> that
    the browser rewrites into the learner's own (deadlines/static/deadlines/local-time.js)."""
    return date_format(timezone.localtime(moment), "DATETIME_FORMAT")


def duration_words(span: timedelta) -> str:
    """Days, hours and minutes, the two largest that are not zero: "2 ч 10 мин"."""
    minutes = max(0, int(span.total_seconds() // 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    parts = []
    if days:
        parts.append(ngettext("%(n)s day", "%(n)s days", days) % {"n": days})
    if hours:
        parts.append(_("%(n)s h") % {"n": hours})
    if mins and not days:
        parts.append(_("%(n)s min") % {"n": mins})
    return " ".join(parts[:2]) or _("less than a minute")


def time_left(due_at: datetime, *, now: datetime | None = None) -> str:
    """ "2 h 10 min left", or how long ago the date passed."""
    now = now or timezone.now()
    if due_at >= now:
        return _("%(span)s left") % {"span": duration_words(due_at - now)}
    return _("%(span)s ago") % {"span": duration_words(now - due_at)}


def late_policy_words(late: policy.LatePolicy) -> str:
    """The late policy as a learner reads it before submitting."""
    if late.kind == policy.NOT_ACCEPTED:
        return _("late work is not accepted")
    if late.kind == policy.PER_DAY:
        text = _("late work: −%(percent)s%% per day") % {"percent": late.percent}
    elif late.kind == policy.PER_HOUR:
        text = _("late work: −%(percent)s%% per hour") % {"percent": late.percent}
    elif late.kind == policy.FIXED:
        return _("late work: −%(percent)s%%") % {"percent": late.percent}
    else:
        return _("late work is accepted and marked late")
    if late.cap < 100:
        text += _(", at most −%(cap)s%%") % {"cap": late.cap}
    return text


def lateness_words(seconds: int) -> str:
    """How late, in the largest whole unit begun: "1 day late", "3 h late"."""
    if seconds <= 0:
        return ""
    late = timedelta(seconds=seconds)
    if late > timedelta(hours=24):
        days = policy.late_units(late, timedelta(days=1))
        return ngettext("submitted %(n)s day late", "submitted %(n)s days late", days) % {"n": days}
    hours = policy.late_units(late, timedelta(hours=1))
    return ngettext("submitted %(n)s hour late", "submitted %(n)s hours late", hours) % {"n": hours}


def penalised_words(
    *, raw: Decimal | None, score: Decimal | None, late_seconds: int, penalty: int
) -> str:
    """The result of late work: "8.0 → 7.2, submitted 1 day late" ("" for work on time)."""
    if late_seconds <= 0:
        return ""
    late = lateness_words(late_seconds)
    if penalty and raw is not None and score is not None:
        return _("%(raw)s → %(score)s (−%(penalty)s%%), %(late)s") % {
            "raw": raw, "score": score, "penalty": penalty, "late": late,
        }  # fmt: skip
    return late


def refusal_message(reason: str, schedule: policy.Schedule) -> str:
    """Why work is not accepted now, with the date that decides it."""
    if reason == policy.NOT_OPEN and schedule.opens_at:
        return _("This is not open yet: it opens %(date)s.") % {
            "date": local_date(schedule.opens_at)
        }
    if reason == policy.PAST_CUTOFF and schedule.cutoff_at:
        return _("Nothing more is accepted: the hard cut-off was %(date)s.") % {
            "date": local_date(schedule.cutoff_at)
        }
    if reason == policy.LATE_NOT_ACCEPTED and schedule.due_at:
        return _("Late work is not accepted: the due date was %(date)s.") % {
            "date": local_date(schedule.due_at)
        }
    return _("This is not open for work now.")
