"""Suspiciously alike solutions, by token fingerprints: winnowing, as MOSS does.

(Schleimer, Wilkerson, Aiken, "Winnowing: local algorithms for document fingerprinting",
SIGMOD 2003.) Pure functions, no Django.

1. Each solution becomes tokens: identifiers become `V`, numbers `N`, strings `S`, while
   keywords and operators stay; comments and whitespace go. Renaming variables or
   reformatting therefore changes nothing.
2. Every run of K tokens (a k-gram) is hashed; in each window of W consecutive hashes the
   smallest is kept (winnowing): any match of K + W - 1 tokens or more is sure to share a
   fingerprint, and far fewer hashes are kept than k-grams.
3. Fingerprints of the starter code are dropped, and so are those most solutions share
   (what the exercise forces everyone to write): neither says anything about copying.
4. Two solutions' similarity is their shared fingerprints over the smaller one's count.
   Each shared fingerprint points back at its tokens, so a page can mark the shared regions.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations

K = 5  # tokens per k-gram
W = 4  # k-grams per window: a shared run of K + W - 1 = 8 tokens is always found
THRESHOLD = 0.6  # pairs at least this alike are listed
MIN_FINGERPRINTS = 8  # smaller solutions (after the starter is dropped) are not compared
COMMON_SHARE = 0.5  # a fingerprint in more than this share of solutions is not evidence

KEYWORDS = {
    "python": frozenset(
        [
            "False",
            "None",
            "True",
            "and",
            "as",
            "assert",
            "async",
            "await",
            "break",
            "class",
            "continue",
            "def",
            "del",
            "elif",
            "else",
            "except",
            "finally",
            "for",
            "from",
            "global",
            "if",
            "import",
            "in",
            "is",
            "lambda",
            "nonlocal",
            "not",
            "or",
            "pass",
            "raise",
            "return",
            "try",
            "while",
            "with",
            "yield",
            "self",
        ]
    ),
    "go": frozenset(
        [
            "break",
            "case",
            "chan",
            "const",
            "continue",
            "default",
            "defer",
            "else",
            "fallthrough",
            "for",
            "func",
            "go",
            "goto",
            "if",
            "import",
            "interface",
            "map",
            "package",
            "range",
            "return",
            "select",
            "struct",
            "switch",
            "type",
            "var",
            "nil",
            "true",
            "false",
        ]
    ),
}

_LEXER = r"""
    (?P<comment>{comment})
    |(?P<string>(?:[rRbBuUfF]{{0,2}})(?:\"\"\".*?\"\"\"|'\'\'.*?'\'\'|"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*'|`[^`]*`))
    |(?P<number>\d[\w.]*)
    |(?P<name>[^\W\d]\w*)
    |(?P<op>:=|==|!=|<=|>=|&&|\|\||<-|\+\+|--|\*\*|//|->|<<|>>|[-+*/%=<>!&|^~.,;:()\[\]{{}}@])
    |(?P<space>\s+)
    |(?P<other>.)
"""
# Comments by language: in Python `//` is floor division, in Go `#` is nothing.
_COMMENTS = {"python": r"\#[^\n]*", "go": r"//[^\n]*|/\*.*?\*/"}
_TOKENS = {
    language: re.compile(_LEXER.format(comment=comment), re.VERBOSE | re.DOTALL)
    for language, comment in _COMMENTS.items()
}
_ANY_COMMENT = re.compile(
    _LEXER.format(comment="|".join(_COMMENTS.values())), re.VERBOSE | re.DOTALL
)


@dataclass(frozen=True)
class Token:
    kind: str  # what is compared: a keyword, an operator, or V / N / S
    file: str
    start: int  # character offsets in the file's text
    end: int


def tokens(files: Mapping[str, str], *, language: str) -> list[Token]:
    """The solution's normalised tokens, file by file in name order."""
    keywords = KEYWORDS.get(language, frozenset())
    out: list[Token] = []
    for name in sorted(files):
        for match in _TOKENS.get(language, _ANY_COMMENT).finditer(files[name]):
            group = match.lastgroup
            if group in {"comment", "space"}:
                continue
            text = match.group()
            if group == "name":
                kind = text if text in keywords else "V"
            elif group == "number":
                kind = "N"
            elif group == "string":
                kind = "S"
            else:
                kind = text
            out.append(Token(kind, name, match.start(), match.end()))
    return out


def _hash(kinds: Sequence[str]) -> int:
    digest = hashlib.blake2b("\x1f".join(kinds).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


@dataclass(frozen=True)
class Fingerprints:
    """A solution's winnowed hashes, each with the index of its first k-gram."""

    tokens: list[Token]
    positions: dict[int, int]  # hash -> index of the k-gram's first token

    @property
    def hashes(self) -> frozenset[int]:
        return frozenset(self.positions)


def fingerprints(toks: Sequence[Token]) -> Fingerprints:
    kinds = [t.kind for t in toks]
    grams = [_hash(kinds[i : i + K]) for i in range(len(kinds) - K + 1)]
    kept: dict[int, int] = {}
    if grams and len(grams) < W:
        low = min(range(len(grams)), key=lambda i: (grams[i], -i))
        kept[grams[low]] = low
    for start in range(len(grams) - W + 1):
        window = range(start, start + W)
        low = min(window, key=lambda i: (grams[i], -i))  # the rightmost smallest
        kept.setdefault(grams[low], low)
    return Fingerprints(list(toks), kept)


def solution_fingerprints(
    files: Mapping[str, str], *, language: str, starter: Mapping[str, str] | None = None
) -> Fingerprints:
    """The solution's fingerprints without the starter code's."""
    own = fingerprints(tokens(files, language=language))
    if not starter:
        return own
    given = fingerprints(tokens(starter, language=language)).hashes
    return Fingerprints(own.tokens, {h: i for h, i in own.positions.items() if h not in given})


def similarity(a: Fingerprints, b: Fingerprints, *, ignore: frozenset[int] = frozenset()) -> float:
    """Shared fingerprints over the smaller solution's (0..1)."""
    ha, hb = a.hashes - ignore, b.hashes - ignore
    smaller = min(len(ha), len(hb))
    return len(ha & hb) / smaller if smaller else 0.0


@dataclass(frozen=True)
class Pair:
    a: int  # the solutions' keys (submission ids)
    b: int
    score: float
    shared: frozenset[int]


def common_fingerprints(holders: Mapping[int, Sequence[int]], solutions: int) -> frozenset[int]:
    """Fingerprints in more than COMMON_SHARE of the solutions: what the exercise makes
    everyone write, no evidence of copying."""
    limit = max(2, int(solutions * COMMON_SHARE))
    return frozenset(h for h, keys in holders.items() if len(keys) > limit)


def corpus_common(solutions: Mapping[int, Fingerprints]) -> frozenset[int]:
    holders: dict[int, list[int]] = defaultdict(list)
    usable = [fp for fp in solutions.values() if len(fp.hashes) >= MIN_FINGERPRINTS]
    for index, fp in enumerate(usable):
        for h in fp.hashes:
            holders[h].append(index)
    return common_fingerprints(holders, len(usable))


def similar_pairs(
    solutions: Mapping[int, Fingerprints], *, threshold: float = THRESHOLD
) -> list[Pair]:
    """Pairs at least `threshold` alike, most alike first. Through an index from fingerprint
    to solutions, so only pairs that share something are ever compared."""
    usable = {key: fp.hashes for key, fp in solutions.items() if len(fp.hashes) >= MIN_FINGERPRINTS}
    holders: dict[int, list[int]] = defaultdict(list)
    for key, hashes in usable.items():
        for h in hashes:
            holders[h].append(key)
    common = common_fingerprints(holders, len(usable))
    counts: dict[tuple[int, int], int] = defaultdict(int)
    for h, keys in holders.items():
        if h not in common:
            for pair in combinations(sorted(keys), 2):
                counts[pair] += 1
    pairs = []
    for (a, b), shared in counts.items():
        smaller = min(len(usable[a] - common), len(usable[b] - common))
        score = shared / smaller if smaller else 0.0
        if score >= threshold:
            pairs.append(Pair(a, b, round(score, 3), (usable[a] & usable[b]) - common))
    return sorted(pairs, key=lambda p: (-p.score, p.a, p.b))


def shared_regions(fp: Fingerprints, shared: Iterable[int]) -> dict[str, list[tuple[int, int]]]:
    """Per file, the merged character ranges the shared fingerprints cover."""
    spans: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for h in shared:
        first = fp.positions.get(h)
        if first is None:
            continue
        run = fp.tokens[first : first + K]
        for token in run:
            spans[token.file].append((token.start, token.end))
    merged: dict[str, list[tuple[int, int]]] = {}
    for name, ranges in spans.items():
        out: list[tuple[int, int]] = []
        for start, end in sorted(ranges):
            if out and start <= out[-1][1] + 1:
                out[-1] = (out[-1][0], max(out[-1][1], end))
            else:
                out.append((start, end))
        merged[name] = out
    return merged


def marked(text: str, ranges: Sequence[tuple[int, int]]) -> list[tuple[str, bool]]:
    """The text cut into (piece, shared?) runs; ranges only whitespace apart join up."""
    joined: list[tuple[int, int]] = []
    for start, end in sorted(ranges):
        if joined and not text[joined[-1][1] : start].strip():
            joined[-1] = (joined[-1][0], max(joined[-1][1], end))
        else:
            joined.append((start, end))
    pieces: list[tuple[str, bool]] = []
    at = 0
    for start, end in joined:
        if start > at:
            pieces.append((text[at:start], False))
        pieces.append((text[start:end], True))
        at = end
    if at < len(text):
        pieces.append((text[at:], False))
    return pieces
