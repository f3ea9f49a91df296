"""Which section is which between two lists of a part's sections: the rows a re-import
updates, the chapters of SUMMARY.md a part README describes, the README lines an export
rewrites. Pure: no database.

A section is known by its material file first. The others are lined up in order by their
titles, as a diff lines up two versions of a file: a section keeps its row when others
are inserted, removed or renumbered around it, sections of one title are told apart by
their neighbours, and one moved elsewhere is found by its title. Between two sections
found that way, what is left is renamed in place (as many on each side: in order) or
else paired with a title much like its own; what still has no pair is new.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from difflib import SequenceMatcher
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
    """For each of `new`, the one of `old` that is the same section, or None (a new one).

    A `retired` one of `old` (an archived row) comes back only by its file or its title,
    for a section nothing live matched."""
    pairs: dict[int, int] = {}  # index in new -> index in old

    def free_new() -> list[int]:
        return [i for i in range(len(new)) if i not in pairs]

    def free_old(live: bool = True) -> list[int]:
        taken = set(pairs.values())
        return [j for j in range(len(old)) if j not in taken and retired(old[j]) != live]

    _by_key(new, old, free_new(), free_old(), pairs, key=lambda item: item.source_path)

    # The rest in order, by title (as a diff would): anchors, and the gaps between them.
    news, olds = free_new(), free_old()
    titles = SequenceMatcher(
        None, [_norm(new[i].title) for i in news], [_norm(old[j].title) for j in olds],
        autojunk=False,
    )  # fmt: skip
    blocks = titles.get_matching_blocks()
    for a, b, size in blocks:
        for k in range(size):
            pairs[news[a + k]] = olds[b + k]
    # A section moved elsewhere: its title, where it is the only one of that title left.
    _by_key(new, old, free_new(), free_old(), pairs, key=lambda item: _norm(item.title))
    start_a = start_b = 0
    for a, b, size in blocks:
        gap_new = [i for i in news[start_a:a] if i not in pairs]
        gap_old = [j for j in olds[start_b:b] if j not in set(pairs.values())]
        _pair_gap(new, old, gap_new, gap_old, pairs)
        start_a, start_b = a + size, b + size

    # Last, the same number where the files do not disagree (SUMMARY.md's drafts and a
    # README's planned sections of one part, numbered alike, say little else).
    by_number = {old[j].number: j for j in free_old()}
    for i in free_new():
        j = by_number.pop(new[i].number, None)
        if j is not None and _files_agree(new[i], old[j]):
            pairs[i] = j
    # Archived ones come back by their file or title.
    _by_key(new, old, free_new(), free_old(live=False), pairs, key=lambda item: item.source_path)
    _by_key(new, old, free_new(), free_old(live=False), pairs, key=lambda item: _norm(item.title))
    return [old[pairs[i]] if i in pairs else None for i in range(len(new))]


def _by_key(
    new: Sequence[Known],
    old: Sequence[Known],
    news: list[int],
    olds: list[int],
    pairs: dict[int, int],
    *,
    key: Callable[[Known], str],
) -> None:
    """Pair those that share a key, where both sides have as many of it (in order)."""
    groups_new: dict[str, list[int]] = {}
    for i in news:
        if value := key(new[i]):
            groups_new.setdefault(value, []).append(i)
    groups_old: dict[str, list[int]] = {}
    for j in olds:
        if value := key(old[j]):
            groups_old.setdefault(value, []).append(j)
    for value, indexes in groups_new.items():
        others = groups_old.get(value, [])
        if len(others) == len(indexes):
            pairs.update(zip(indexes, others, strict=True))


def _pair_gap(
    new: Sequence[Known],
    old: Sequence[Known],
    gap_new: list[int],
    gap_old: list[int],
    pairs: dict[int, int],
) -> None:
    """Between two anchors: as many on each side are renamed in place (in order, where their
    files allow it); else each takes the one of a title much like its own."""
    if not gap_new or not gap_old:
        return
    if len(gap_new) == len(gap_old):
        for i, j in zip(gap_new, gap_old, strict=True):
            if _files_agree(new[i], old[j]):
                pairs[i] = j
        return
    words_new = {i: _words(new[i].title) for i in gap_new}
    words_old = {j: _words(old[j].title) for j in gap_old}
    best_new = {i: _most_alike(words_new[i], words_old) for i in gap_new}
    best_old = {j: _most_alike(words_old[j], words_new) for j in gap_old}
    for i, best in best_new.items():
        if best is not None and best_old.get(best) == i and _files_agree(new[i], old[best]):
            pairs[i] = best


def _files_agree(new: Known, old: Known) -> bool:
    """Whether they may be one section by where they stand: the same file, or the old one
    had none yet (a section with a file of its own is known by it, not by its place)."""
    return not old.source_path or new.source_path == old.source_path


def _norm(title: str) -> str:
    return " ".join(title.lower().replace("ё", "е").split())


def _words(title: str) -> frozenset[str]:
    return frozenset(re.findall(r"\w+", _norm(title)))


def _most_alike(words: frozenset[str], others: dict[int, frozenset[str]]) -> int | None:
    """The one of `others` whose words hold these, or these hold its, or share most of
    them with these; None unless exactly one is most alike."""
    if not words:
        return None
    scores: dict[int, float] = {}
    for index, theirs in others.items():
        shared = len(words & theirs)
        if shared and (words <= theirs or theirs <= words or shared * 2 > len(words | theirs)):
            scores[index] = shared / len(words | theirs)
    if not scores:
        return None
    best = max(scores.values())
    winners = [index for index, score in scores.items() if score == best]
    return winners[0] if len(winners) == 1 else None
