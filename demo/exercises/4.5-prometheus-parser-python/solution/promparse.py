"""Разбор строк текстового формата экспозиции Prometheus."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

NAME_RE = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
LABEL_RE = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
NUMBER_RE = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
TIMESTAMP_RE = re.compile(r"-?\d+")
SPECIAL = {"NaN": math.nan, "+Inf": math.inf, "Inf": math.inf, "-Inf": -math.inf}
ESCAPES = {"\\": "\\", '"': '"', "n": "\n"}


@dataclass(frozen=True)
class Sample:
    name: str
    labels: dict[str, str]
    value: float
    timestamp: int | None = None


def parse_line(line: str) -> Sample | None:
    """Одна строка экспозиции -> Sample; комментарий или пустая строка -> None."""
    text = line.strip()
    if not text or text.startswith("#"):
        return None
    match = NAME_RE.match(text)
    if not match:
        raise ValueError(f"invalid metric name in {line!r}")
    name, pos = match.group(), match.end()
    labels: dict[str, str] = {}
    if pos < len(text) and text[pos] == "{":
        labels, pos = _parse_labels(text, pos + 1)
    rest = text[pos:]
    if rest[:1] not in (" ", "\t"):
        raise ValueError(f"expected whitespace before the value in {line!r}")
    parts = rest.split()
    if not 1 <= len(parts) <= 2:
        raise ValueError(f"expected value [timestamp] in {line!r}")
    value = _parse_value(parts[0])
    timestamp = None
    if len(parts) == 2:
        if not TIMESTAMP_RE.fullmatch(parts[1]):
            raise ValueError(f"invalid timestamp {parts[1]!r}")
        timestamp = int(parts[1])
    return Sample(name, labels, value, timestamp)


def _skip_spaces(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t":
        pos += 1
    return pos


def _parse_labels(text: str, pos: int) -> tuple[dict[str, str], int]:
    labels: dict[str, str] = {}
    while True:
        pos = _skip_spaces(text, pos)
        if pos < len(text) and text[pos] == "}":
            return labels, pos + 1
        match = LABEL_RE.match(text, pos)
        if not match:
            raise ValueError(f"invalid label name at position {pos}")
        label = match.group()
        if label in labels:
            raise ValueError(f"duplicate label {label!r}")
        pos = _skip_spaces(text, match.end())
        if text[pos : pos + 1] != "=":
            raise ValueError(f"expected '=' after label {label!r}")
        pos = _skip_spaces(text, pos + 1)
        if text[pos : pos + 1] != '"':
            raise ValueError(f"expected a quoted value for label {label!r}")
        pos += 1
        value: list[str] = []
        while True:
            if pos >= len(text):
                raise ValueError(f"unterminated value of label {label!r}")
            char = text[pos]
            if char == '"':
                break
            if char == "\\":
                escaped = text[pos + 1 : pos + 2]
                if escaped not in ESCAPES:
                    raise ValueError(f"invalid escape \\{escaped} in label {label!r}")
                value.append(ESCAPES[escaped])
                pos += 2
            else:
                value.append(char)
                pos += 1
        labels[label] = "".join(value)
        pos = _skip_spaces(text, pos + 1)
        if pos < len(text) and text[pos] == ",":
            pos += 1
        elif not (pos < len(text) and text[pos] == "}"):
            raise ValueError("expected ',' or '}' after a label")


def _parse_value(token: str) -> float:
    if token in SPECIAL:
        return SPECIAL[token]
    if not NUMBER_RE.fullmatch(token):
        raise ValueError(f"invalid sample value {token!r}")
    return float(token)


def parse_text(text: str) -> list[Sample]:
    """Все сэмплы из текста экспозиции; ошибка сообщает номер строки (с 1)."""
    samples = []
    for number, line in enumerate(text.splitlines(), start=1):
        try:
            sample = parse_line(line)
        except ValueError as error:
            raise ValueError(f"line {number}: {error}") from None
        if sample is not None:
            samples.append(sample)
    return samples
