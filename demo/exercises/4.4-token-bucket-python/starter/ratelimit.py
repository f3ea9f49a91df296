"""Ограничение частоты запросов: token bucket с подменяемыми часами."""

from __future__ import annotations

import time
from collections.abc import Callable


class TokenBucket:
    """Ведро на capacity токенов, пополняется со скоростью rate токенов в секунду."""

    def __init__(self, rate: float, capacity: float, clock: Callable[[], float] = time.monotonic) -> None:
        raise NotImplementedError

    @property
    def tokens(self) -> float:
        raise NotImplementedError

    def allow(self, n: float = 1) -> bool:
        raise NotImplementedError

    def wait_time(self, n: float = 1) -> float:
        raise NotImplementedError


class KeyedLimiter:
    """Отдельное ведро на каждый ключ (клиент, IP, API-ключ); хранит не больше max_keys вёдер."""

    def __init__(
        self,
        rate: float,
        capacity: float,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 10_000,
    ) -> None:
        raise NotImplementedError

    def allow(self, key: str, n: float = 1) -> bool:
        raise NotImplementedError

    def __len__(self) -> int:
        raise NotImplementedError
