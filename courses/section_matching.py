"""Which section is which between two lists of a part's sections: the rows a re-import
updates, the chapters of SUMMARY.md a part README describes, the README lines an export
rewrites. Pure: no database.

A section is known by its material file first, its title second, a title much like it
third, and its number last: inserting, removing or renaming a section renumbers the rest,
and numbers are where two sources of a part (SUMMARY.md and its README) disagree most.
A file or title several sections share says which is which only when both lists have as
many of them (then in their order); a number, only where the files do not disagree.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Protocol, TypeVar


class Known(Protocol):
    @property
    def number(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def source_path(self) -> str: ...


A = TypeVar("A", bound=Known)
B = TypeVar("B", bound=Known)


def sections_matched(
    new: Sequence[A], old: Sequence[B], *, retired: Callable[[B], bool] = lambda _: False
) -> list[B | None]:
    """For each of `new`, the one of `old` that is the same section, or None.

    A `retired` one of `old` (an archived row) is matched by its file or title only, and
    only where no live one is."""
    found: list[B | None] = [None] * len(new)
    taken: set[int] = set()

    def match_groups(key: Callable[[Known], str]) -> None:
        news: dict[str, list[int]] = {}
        for index, item in enumerate(new):
            if found[index] is None and key(item):
                news.setdefault(key(item), []).append(index)
        olds: dict[str, list[int]] = {}
        for index, row in enumerate(old):
            if index not in taken and key(row):
                olds.setdefault(key(row), []).append(index)
        for value, indexes in news.items():
            candidates = olds.get(value, [])
            live = [i for i in candidates if not retired(old[i])]
            pool = live or [i for i in candidates if retired(old[i])]
            if len(pool) == len(indexes):
                for index, other in zip(indexes, pool, strict=True):
                    found[index] = old[other]
                    taken.add(other)

    match_groups(lambda item: item.source_path)
    match_groups(lambda item: item.title)
    # A title much like one that is not there any more: "Kafka" -> "Kafka и Go".
    free_new = [i for i in range(len(new)) if found[i] is None]
    free_old = [i for i in range(len(old)) if i not in taken and not retired(old[i])]
    best_new = {i: _most_alike(new[i].title, [old[j].title for j in free_old]) for i in free_new}
    best_old = {j: _most_alike(old[j].title, [new[i].title for i in free_new]) for j in free_old}
    for i, j in best_new.items():
        if j is not None and best_old.get(free_old[j]) == free_new.index(i):
            found[i] = old[free_old[j]]
            taken.add(free_old[j])
    # The same number, where their files do not say they are different sections.
    for index, item in enumerate(new):
        if found[index] is not None:
            continue
        for other, candidate in enumerate(old):
            if (
                other not in taken
                and not retired(candidate)
                and candidate.number == item.number
                and (not item.source_path or not candidate.source_path
                     or item.source_path == candidate.source_path)
            ):  # fmt: skip
                found[index] = candidate
                taken.add(other)
                break
    return found


def _title_words(title: str) -> set[str]:
    return set(re.findall(r"\w+", title.lower().replace("ё", "е")))


def _most_alike(title: str, others: Sequence[str]) -> int | None:
    """The index of the one of `others` alike `title` (one's words hold the other's, or they
    share most of them), when exactly one is most alike."""
    words = _title_words(title)
    if not words:
        return None
    scores = []
    for other in others:
        theirs = _title_words(other)
        shared = len(words & theirs)
        alike = shared and (words <= theirs or theirs <= words or shared * 2 > len(words | theirs))
        scores.append(shared / len(words | theirs) if alike else 0.0)
    best = max(scores, default=0.0)
    if best == 0.0 or scores.count(best) > 1:
        return None
    return scores.index(best)
