"""Text of the learner's progress notices: why a completed section is open again."""

from __future__ import annotations

from django.utils.translation import gettext as _


def reopen_notice_text(new_items: list[tuple[str, str]]) -> str:
    """ "Раздел снова открыт: добавлено новое упражнение «…»." from (kind, title) pairs of
    the work the learner has still to do; the kind decides the words (and, in Russian, the
    grammatical gender)."""
    if len(new_items) == 1:
        kind, title = new_items[0]
        if kind == "exercise":
            return _("Section reopened: a new exercise «%(title)s» was added.") % {"title": title}
        if kind == "quiz":
            return _("Section reopened: a new quiz «%(title)s» was added.") % {"title": title}
    if not new_items:
        return _("Section reopened: new work was added.")
    names = {"exercise": _("exercise «%(title)s»"), "quiz": _("quiz «%(title)s»")}
    listed = ", ".join(
        names.get(kind, _("«%(title)s»")) % {"title": title} for kind, title in new_items
    )
    return _("Section reopened: new work was added: %(items)s.") % {"items": listed}
