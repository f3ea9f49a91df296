"""Similar-solution detection: ours (teaching.similarity) against copydetect, if installed.

    .venv/bin/python bench/similarity.py [--solutions 1000]

Prints, on the test corpus (tests/teaching/test_similarity.py), each tool's similarity of
a disguised copy and of an independent solution to the original, the time to fingerprint
one solution, and ours to compare --solutions solutions of one exercise (all pairs through
the fingerprint index). copydetect is not a dependency: `pip install copydetect` into
another environment and put it on PYTHONPATH to include it.

Not a test: it prints numbers.
"""

from __future__ import annotations

import argparse
import io
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from teaching import similarity
from tests.teaching.test_similarity import DISGUISED, INDEPENDENT, ORIGINAL, STARTER


def ours(code: str) -> similarity.Fingerprints:
    return similarity.solution_fingerprints(
        {"bucket.py": code}, language="python", starter={"bucket.py": STARTER}
    )


def timed(make: object, runs: int = 200) -> float:
    started = time.perf_counter()
    for _ in range(runs):
        make()  # type: ignore[operator]
    return (time.perf_counter() - started) / runs * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--solutions", type=int, default=1000)
    args = parser.parse_args()
    original = ours(ORIGINAL)
    print(
        f"ours: disguised copy {similarity.similarity(original, ours(DISGUISED)):.2f}, "
        f"independent {similarity.similarity(original, ours(INDEPENDENT)):.2f}; "
        f"fingerprint one solution {timed(lambda: ours(ORIGINAL)):.2f} ms"
    )
    try:
        import numpy as np
        from copydetect import CodeFingerprint, compare_files
    except ImportError:
        print("copydetect: not installed (pip install copydetect, on PYTHONPATH)")
    else:
        boiler = CodeFingerprint("s.py", 25, 1, fp=io.StringIO(STARTER), language="python")

        def theirs(code: str) -> CodeFingerprint:
            return CodeFingerprint(
                "x.py",
                25,
                1,
                boilerplate=np.array(sorted(boiler.hashes)),
                fp=io.StringIO(code),
                language="python",
            )

        base = theirs(ORIGINAL)
        copy = compare_files(base, theirs(DISGUISED))[1][0]
        other = compare_files(base, theirs(INDEPENDENT))[1][0]
        print(
            f"copydetect (its defaults, k=25, w=1): disguised copy {copy:.2f}, independent "
            f"{other:.2f}; fingerprint one solution {timed(lambda: theirs(ORIGINAL)):.2f} ms"
        )
    rng = random.Random(1)
    names = ["rate", "capacity", "tokens", "last", "now", "elapsed"]
    corpus = {}
    for i in range(args.solutions):
        code = ORIGINAL if i % 50 == 0 else INDEPENDENT
        for name in names:  # every learner renames: copies stay copies, the rest differ
            code = code.replace(name, f"{name}_{rng.randrange(10**6)}")
        corpus[i] = ours(code)
    started = time.perf_counter()
    pairs = similarity.similar_pairs(corpus)
    print(
        f"ours: {args.solutions} solutions compared in "
        f"{(time.perf_counter() - started) * 1000:.0f} ms, {len(pairs)} pairs listed"
    )


if __name__ == "__main__":
    main()
