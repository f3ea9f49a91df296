"""The status line ("🚧 **В разработке** — 29% (2 из 7 разделов)"): found, read and
written back with new figures."""

from __future__ import annotations

import re

from courses.part_readme.lines import DONE_MARK, PLANNED_MARK, stated_state, title_words

# "🚧 **В разработке** — 29% (2 из 7 разделов)", "✅ Завершено - 100% (7/7)", "— **50%** (1/2)",
# "🚧 В разработке (1/3)"; and figures first: "**Прогресс:** 1 из 3 разделов (33%)".
_STATUS_HEAD = (
    r"(?P<icon>[✅🚧⏳]\ufe0f?\s*)?(?P<label>\*\*[^*]+\*\*|__[^_]+__|[^\d%—–(|:*_✅🚧⏳]*?)"
    r"\s*(?:(?P<sep>[—–-]|:)\s*)?"
)


_STATUS_COUNT = r"(?P<done>\d+)(?P<of>\s*/\s*|\s+(?:из|of)\s+)(?P<total>\d+)"


STATUS_RES = (
    re.compile(
        _STATUS_HEAD + r"(?:(?:\*\*|__)?(?P<percent>\d{1,3})\s*%\s*(?:\*\*|__)?\s*)?"
        r"\(" + _STATUS_COUNT + r"(?P<noun>\s+[^)\d,]+)?(?:,\s*(?P<percent2>\d{1,3})\s*%)?\)"
    ),
    re.compile(
        _STATUS_HEAD + _STATUS_COUNT + r"(?P<noun>\s+[^()\d]+?)?\s*"
        r"\(\s*(?:\*\*|__)?(?P<percent>\d{1,3})\s*%\s*(?:\*\*|__)?\s*\)"
    ),
    # No brackets at all: "**Прогресс:** 1/3", "🚧 33% — 1 из 3", "В разработке — 1/3".
    re.compile(
        _STATUS_HEAD
        + r"(?:(?:\*\*|__)?(?P<percent>\d{1,3})\s*%(?:\*\*|__)?\s*[—–-]?\s*)?"
        + _STATUS_COUNT
        + r"(?P<noun>\s+[^()\d|,.;]*[^()\d|,.;\s])?"
    ),
)


_STATUS_NAMES = r"(?:статус|status|прогресс|progress|готовность|состояние)"


STATUS_WORDS_RE = re.compile(r"^(?:[-*+]\s+)?[*_]*\s*" + _STATUS_NAMES + r"\b", re.I)


# Outside the status block, a line that names itself the status at its start (in a list,
# a quote, a table row or a heading too), or one that starts with the status icon.
STATUS_NAMED_RE = re.compile(
    r"^[\W_]*(?:(?:текущий|текущее|current)\s+)?" + _STATUS_NAMES
    + r"(?:\s+(?:части|курса|part|course)(?:\s+\d+)?)?",
    re.IGNORECASE,
)  # fmt: skip


STATUS_ICON_RE = re.compile(r"^[\s>]*[*_]*[✅🚧⏳]")


MAX_STATUS_LINE = 500  # longer is not a status line (and would cost the regexes time)


def says_it_is_the_status(line: str) -> bool:
    """ "**Статус**: …", "- Статус — …", "| Статус | …", "## Статус: …", "> Прогресс: …":
    the word and then a separator (not "Статус заказа (1/2)" in some sentence)."""
    if len(line) > MAX_STATUS_LINE or (found := STATUS_NAMED_RE.match(line)) is None:
        return False
    after = line[found.end() :].lstrip(" *_")[:1]
    return after in {":", "—", "–", "-", "|", "✅", "🚧", "⏳"} or after.isdigit()


def starts_like_the_status(line: str) -> bool:
    """ "🚧 **В разработке** — 29% (2 из 7 разделов)" alone on a line (or quoted): the icon,
    then a word of the status or a count of sections; not any line that starts with ⏳."""
    if not STATUS_ICON_RE.match(line) or (match := status_match(line)) is None:
        return False
    label = match.group("label") or ""
    noun = (match.group("noun") or "").split()
    counts_sections = bool(noun) and any(noun[0].lower() in pair for pair in COUNT_NOUNS)
    if noun and not counts_sections:
        return False  # "1 из 3 примеров (33%)": figures of something else
    return counts_sections or stated_state(title_words(label)) is not None


def status_match(line: str) -> re.Match[str] | None:
    """The status figures in a line, in either order, or None."""
    if len(line) > MAX_STATUS_LINE:
        return None
    found = [match for pattern in STATUS_RES if (match := pattern.search(line))]
    return min(found, key=lambda match: match.start("done")) if found else None


# The status label in the README's own language, by whether the part is complete.
STATUS_LABELS = {"ru": ("В разработке", "Завершено"), "en": ("In progress", "Completed")}


# "N из M <noun>": the noun agrees with M (genitive after "из": 1, 21 -> singular).
COUNT_NOUNS = (
    ("раздела", "разделов"), ("темы", "тем"), ("главы", "глав"), ("урока", "уроков"),
    ("статьи", "статей"), ("модуля", "модулей"), ("материала", "материалов"),
    ("занятия", "занятий"), ("section", "sections"), ("chapter", "chapters"),
    ("topic", "topics"), ("lesson", "lessons"), ("module", "modules"), ("article", "articles"),
)  # fmt: skip


def _count_noun(noun: str, total: int) -> str:
    """The noun after "N из M" agreeing with M ("из 1 раздела", "из 7 разделов", "of 1
    section"); a noun it does not know, and any words after it, as the author wrote them."""
    match = re.match(r"(\s+)(\w+)(.*)$", noun, re.DOTALL)
    if match is None:
        return noun
    space, word, rest = match.groups()
    for one, many in COUNT_NOUNS:
        if word.lower() in {one, many}:
            # English: one; Russian genitive after "из": 1, 21, 31 ... but not 11
            singular = total == 1 if word.isascii() else total % 10 == 1 and total % 100 != 11
            form = one if singular else many
            return space + (form.capitalize() if word[:1].isupper() else form) + rest
    return noun


def status_rewritten(line: str, done: int, total: int) -> str:
    match = status_match(line)
    if match is None or (int(match.group("done")), int(match.group("total"))) == (done, total):
        return line
    from courses.status import completion_percent

    replacements: list[tuple[int, int, str]] = [
        (match.start("done"), match.end("done"), str(done)),
        (match.start("total"), match.end("total"), str(total)),
    ]
    for name in ("percent", "percent2"):
        if name in match.re.groupindex and match.group(name) is not None:
            percent = str(completion_percent(done, total))
            replacements.append((match.start(name), match.end(name), percent))
    if match.group("noun"):
        noun = match.group("noun")
        replacements.append((match.start("noun"), match.end("noun"), _count_noun(noun, total)))
    was_complete = int(match.group("done")) == int(match.group("total")) > 0
    now_complete = done == total > 0
    if was_complete != now_complete:
        icon = match.group("icon")
        if icon:
            new_icon = DONE_MARK if now_complete else PLANNED_MARK
            replacements.append((match.start("icon"), match.start("icon") + 1, new_icon))
        label = match.group("label")
        bare = label.strip("*_ ").strip()
        if bare and not STATUS_WORDS_RE.match(bare):
            language = "ru" if re.search("[а-яё]", line, re.IGNORECASE) else "en"
            word = STATUS_LABELS[language][now_complete]
            start = match.start("label") + label.index(bare)
            replacements.append((start, start + len(bare), word))
    for start, end, new in sorted(replacements, reverse=True):
        line = line[:start] + new + line[end:]
    return line
