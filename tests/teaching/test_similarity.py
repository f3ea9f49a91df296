"""Winnowing: a copy with renamed identifiers and other whitespace is found; two solutions
written independently are not; the starter code is no evidence."""

from __future__ import annotations

from teaching.similarity import (
    K,
    W,
    _hash,
    fingerprints,
    marked,
    shared_regions,
    similar_pairs,
    similarity,
    solution_fingerprints,
    tokens,
)

STARTER = '''"""Токен-бакет."""


class Bucket:
    def __init__(self, rate: float, capacity: int) -> None:
        raise NotImplementedError

    def allow(self, now: float) -> bool:
        raise NotImplementedError
'''

ORIGINAL = '''"""Токен-бакет."""


class Bucket:
    def __init__(self, rate: float, capacity: int) -> None:
        self.rate = rate
        self.capacity = capacity
        self.tokens = float(capacity)
        self.last = None

    def allow(self, now: float) -> bool:
        if self.last is not None:
            elapsed = max(0.0, now - self.last)
            self.tokens = min(self.capacity, self.tokens + elapsed * self.rate)
        self.last = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False
'''

# The same code: every name changed, comments added, reflowed and re-indented.
DISGUISED = '''"""Токен-бакет."""


class Bucket:
    def __init__(self, speed: float, size: int) -> None:
        # скорость пополнения
        self.speed   = speed
        self.size = size
        self.left = float(size)
        self.prev = None

    def allow(self, t: float) -> bool:
        if self.prev is not None:
            gap = max(0.0,
                      t - self.prev)
            self.left = min(self.size, self.left + gap * self.speed)  # пополнить
        self.prev = t
        if self.left >= 1:
            self.left -= 1
            return True
        return False
'''

# Written independently: another design (a deque of timestamps), same exercise.
INDEPENDENT = '''"""Токен-бакет."""
from collections import deque


class Bucket:
    def __init__(self, rate: float, capacity: int) -> None:
        self.window = capacity / rate
        self.capacity = capacity
        self.seen = deque()

    def allow(self, now: float) -> bool:
        while self.seen and now - self.seen[0] >= self.window:
            self.seen.popleft()
        if len(self.seen) < self.capacity:
            self.seen.append(now)
            return True
        return False
'''


def fp(code: str):
    return solution_fingerprints({"bucket.py": code}, language="python",
                                 starter={"bucket.py": STARTER})  # fmt: skip


def test_identifiers_literals_and_comments_are_normalised():
    kinds = [t.kind for t in tokens({"a.py": "x = 1  # c\nprint('s')"}, language="python")]
    assert kinds == ["V", "=", "N", "V", "(", "S", ")"]
    floor = [t.kind for t in tokens({"a.py": "x = a // b + c"}, language="python")]
    assert floor == ["V", "=", "V", "//", "V", "+", "V"]  # floor division, not a comment
    go = [t.kind for t in tokens({"a.go": "func f() { /* c */ return `raw` }"}, language="go")]
    assert go == ["func", "V", "(", ")", "{", "return", "S", "}"]


def test_winnowing_keeps_a_fingerprint_in_every_window():
    toks = tokens({"a.py": ORIGINAL}, language="python")
    kept = fingerprints(toks)
    grams = len(toks) - K + 1
    assert 0 < len(kept.positions) < grams
    # any W consecutive k-grams hold a kept one (the guarantee of winnowing)
    kinds = [t.kind for t in toks]
    hashes = [_hash(kinds[i : i + K]) for i in range(grams)]
    assert all(set(hashes[i : i + W]) & kept.hashes for i in range(grams - W + 1))


def test_a_disguised_copy_is_found_and_an_independent_solution_is_not():
    solutions = {1: fp(ORIGINAL), 2: fp(DISGUISED), 3: fp(INDEPENDENT)}
    assert similarity(solutions[1], solutions[2]) == 1.0
    assert similarity(solutions[1], solutions[3]) < 0.3

    pairs = similar_pairs(solutions)

    assert [(p.a, p.b) for p in pairs] == [(1, 2)]
    assert pairs[0].score == 1.0


def test_the_starter_code_alone_is_no_evidence():
    # two learners who only filled one line each share just the starter
    first = STARTER.replace("raise NotImplementedError", "pass", 1)
    second = STARTER.replace("raise NotImplementedError", "return None", 1)
    assert similar_pairs({1: fp(first), 2: fp(second)}) == []


def test_the_shared_regions_cover_the_copied_code():
    a, b = fp(ORIGINAL), fp(DISGUISED)
    shared = a.hashes & b.hashes
    regions = shared_regions(a, shared)["bucket.py"]
    pieces = marked(ORIGINAL, regions)
    assert "".join(text for text, _ in pieces) == ORIGINAL  # nothing lost or doubled
    highlighted = "".join(text for text, shared_ in pieces if shared_)
    assert "self.tokens -= 1" in highlighted
    assert "raise" not in highlighted
