"""Solutions to one exercise that look copied: each learner's latest graded submission,
compared by teaching.similarity (the starter code left out)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.cache import cache

from core.scopes import latest_per_learner
from core.versions import content_version
from grader.models import CodingExercise, Submission
from teaching import similarity


@dataclass(frozen=True)
class SimilarPair:
    a: Submission
    b: Submission
    score: float

    @property
    def percent(self) -> int:
        return round(self.score * 100)


def _solutions(exercise: CodingExercise) -> list[Submission]:
    graded = Submission.objects.filter(exercise=exercise, status=Submission.Status.GRADED)
    return list(latest_per_learner(graded, by="id").select_related("learner").order_by("id"))


def _fingerprints(exercise: CodingExercise, submission: Submission) -> similarity.Fingerprints:
    return similarity.solution_fingerprints(
        submission.files, language=exercise.language, starter=exercise.starter_files
    )


def similar_pairs(*, exercise: CodingExercise) -> list[SimilarPair]:
    """Pairs at least similarity.THRESHOLD alike, most alike first. The comparison is cached
    until a new submission is graded (the key holds the newest id) or the starter changes."""
    solutions = _solutions(exercise)
    by_id = {s.pk: s for s in solutions}
    newest = max(by_id, default=0)
    version = content_version(exercise.starter_files, exercise.language)
    key = f"similar-pairs:{exercise.pk}:{newest}:{len(by_id)}:{version}"
    found: Any = cache.get(key)
    if found is None:
        prints = {s.pk: _fingerprints(exercise, s) for s in solutions}
        pairs = [(p.a, p.b, p.score) for p in similarity.similar_pairs(prints)]
        found = (pairs, sorted(similarity.corpus_common(prints)))
        cache.set(key, found, timeout=3600)
        cache.set(f"similar-common:{exercise.pk}", found[1], timeout=3600)
    return [
        SimilarPair(by_id[a], by_id[b], score)
        for a, b, score in found[0]
        if a in by_id and b in by_id
    ]


@dataclass(frozen=True)
class SideBySide:
    name: str
    a: list[tuple[str, bool]]  # (text, shared?) runs of the file in each solution
    b: list[tuple[str, bool]]


def pair_detail(
    *, exercise: CodingExercise, a: Submission, b: Submission
) -> tuple[float, list[SideBySide]]:
    fa, fb = _fingerprints(exercise, a), _fingerprints(exercise, b)
    # What most solutions share is ignored here as on the list (computed with it, cached).
    common_key = f"similar-common:{exercise.pk}"
    if cache.get(common_key) is None:
        similar_pairs(exercise=exercise)
    common = frozenset(cache.get(common_key) or ())
    shared = (fa.hashes & fb.hashes) - common
    regions_a = similarity.shared_regions(fa, shared)
    regions_b = similarity.shared_regions(fb, shared)
    files = []
    for name in sorted(set(a.files) | set(b.files)):
        files.append(
            SideBySide(
                name,
                similarity.marked(a.files.get(name, ""), regions_a.get(name, [])),
                similarity.marked(b.files.get(name, ""), regions_b.get(name, [])),
            )
        )
    return similarity.similarity(fa, fb, ignore=common), files
