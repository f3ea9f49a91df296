"""Разбор строк текстового формата экспозиции Prometheus."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Sample:
    name: str
    labels: dict[str, str]
    value: float
    timestamp: int | None = None


def parse_line(line: str) -> Sample | None:
    """Одна строка экспозиции -> Sample; комментарий или пустая строка -> None."""
    raise NotImplementedError


def parse_text(text: str) -> list[Sample]:
    """Все сэмплы из текста экспозиции; ошибка сообщает номер строки (с 1)."""
    raise NotImplementedError
