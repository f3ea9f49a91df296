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


def item_title_in_section(title: str, section_number: str) -> str:
    """An item's title in its section's list: without the section's number that imports put
    first ("4.2 Кэширование" in section 4.2 is "Кэширование")."""
    stripped = title.strip()
    if section_number and stripped.startswith(section_number):
        rest = stripped[len(section_number) :]
        if rest and not rest[0].isalnum() and rest.lstrip(" .:—–-"):
            return rest.lstrip(" .:—–-")
    return stripped
