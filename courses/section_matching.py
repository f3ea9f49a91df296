"""Which section is which between two lists of a part's sections: the rows a re-import
updates, the chapters of SUMMARY.md a part README describes, the README lines an export
rewrites. Pure: no database.

A section is known by its material file first (an archived one comes back by it). The
others are lined up by title as a diff lines up two versions of a file (the longest run
of titles in common, the earliest where several are as long): a section keeps its row when
others are inserted, removed or renumbered around it, and sections of one title are told
apart by their neighbours; one moved elsewhere is found by its title. Then a title much
like one no longer there is that section renamed ("Select" -> "Оператор select"); an
archived one comes back by its title; what is left between two sections found, as many
on each side, was renamed in place. Optionally, numbers last (a README and its book's
SUMMARY.md number the same drafts alike and say little else about them).
"""

from __future__ import annotations

import itertools
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
    new: Sequence[A],
    old: Sequence[B],
    *,
    retired: Callable[[B], bool] = lambda _: False,
    by_number: bool = False,
) -> list[B | None]:
    """For each of `new`, the one of `old` that is the same section, or None (a new one).

    A `retired` one of `old` (an archived row) comes back only by its file or its title,
    for a section nothing live matched."""
    pairs: dict[int, int] = {}  # index in new -> index in old

    def free_new() -> list[int]:
        return [i for i in range(len(new)) if i not in pairs]

    def free_old(*, live: bool = True) -> list[int]:
        taken = set(pairs.values())
        return [j for j in range(len(old)) if j not in taken and retired(old[j]) is not live]

    def path(item: Known) -> str:
        return item.source_path

    def title(item: Known) -> str:
        return _norm(item.title)

    _by_key(new, old, free_new(), free_old(), pairs, key=path)
    _by_key(new, old, free_new(), free_old(live=False), pairs, key=path)

    # The rest in order by title; the gaps between the titles in common.
    news, olds = free_new(), free_old()
    anchors = _common_run([title(new[i]) for i in news], [title(old[j]) for j in olds])
    for a, b in anchors:
        pairs[news[a]] = olds[b]
    _by_key(new, old, free_new(), free_old(), pairs, key=title)  # moved elsewhere
    _by_likeness(new, old, free_new(), free_old(), pairs)
    _by_key(new, old, free_new(), free_old(live=False), pairs, key=title)
    bounds = [(-1, -1), *anchors, (len(news), len(olds))]
    for (a0, b0), (a1, b1) in itertools.pairwise(bounds):
        gap_new = [i for i in news[a0 + 1 : a1] if i not in pairs]
        taken = set(pairs.values())
        gap_old = [j for j in olds[b0 + 1 : b1] if j not in taken]
        if gap_new and len(gap_new) == len(gap_old):
            for i, j in zip(gap_new, gap_old, strict=True):
                if _files_agree(new[i], old[j]):
                    pairs[i] = j

    if by_number:
        numbered = {old[j].number: j for j in free_old()}
        for i in free_new():
            match = numbered.pop(new[i].number, None)
            if match is not None and _files_agree(new[i], old[match]):
                pairs[i] = match
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


def _common_run(new: list[str], old: list[str]) -> list[tuple[int, int]]:
    """The longest common subsequence of two title lists, as index pairs; where several are
    as long, each title takes its earliest partner (so a removed "NATS, Практика" takes
    NATS's own "Практика", not Kafka's)."""
    rows, cols = len(new), len(old)
    # longest[i][j]: the longest common run of new[i:] and old[j:]
    longest = [[0] * (cols + 1) for _ in range(rows + 1)]
    for i in range(rows - 1, -1, -1):
        row, below = longest[i], longest[i + 1]
        for j in range(cols - 1, -1, -1):
            if new[i] and new[i] == old[j]:
                row[j] = below[j + 1] + 1
            else:
                row[j] = max(below[j], row[j + 1])
    run: list[tuple[int, int]] = []
    i = j = 0
    while i < rows and j < cols:
        if new[i] and new[i] == old[j] and longest[i][j] == longest[i + 1][j + 1] + 1:
            run.append((i, j))
            i, j = i + 1, j + 1
        elif longest[i + 1][j] >= longest[i][j + 1]:
            i += 1
        else:
            j += 1
    return run


def _by_likeness(
    new: Sequence[Known],
    old: Sequence[Known],
    news: list[int],
    olds: list[int],
    pairs: dict[int, int],
) -> None:
    """Pair each with the one of a title much like its own, where each is the other's one
    most alike (a section renamed, perhaps given its file and moved too)."""
    words_new = {i: _words(new[i].title) for i in news}
    words_old = {j: _words(old[j].title) for j in olds}
    best_new = {i: _most_alike(words_new[i], words_old) for i in news}
    best_old = {j: _most_alike(words_old[j], words_new) for j in olds}
    for i, best in best_new.items():
        if best is not None and best_old.get(best) == i:
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
