"""Ограничение частоты запросов: token bucket с подменяемыми часами."""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable


class TokenBucket:
    """Ведро на capacity токенов, пополняется со скоростью rate токенов в секунду."""

    def __init__(self, rate: float, capacity: float, clock: Callable[[], float] = time.monotonic) -> None:
        if rate <= 0 or capacity <= 0:
            raise ValueError("rate and capacity must be positive")
        self.rate = float(rate)
        self.capacity = float(capacity)
        self._clock = clock
        self._tokens = float(capacity)
        self._last = clock()

    def _refill(self) -> None:
        now = self._clock()
        if now > self._last:  # часы назад не идут: время «до» просто игнорируем
            self._tokens = min(self.capacity, self._tokens + (now - self._last) * self.rate)
            self._last = now

    @property
    def tokens(self) -> float:
        self._refill()
        return self._tokens

    def allow(self, n: float = 1) -> bool:
        if n <= 0:
            raise ValueError("n must be positive")
        self._refill()
        if n <= self._tokens:
            self._tokens -= n
            return True
        return False

    def wait_time(self, n: float = 1) -> float:
        if n <= 0:
            raise ValueError("n must be positive")
        if n > self.capacity:
            return math.inf
        self._refill()
        return max(0.0, (n - self._tokens) / self.rate)


class KeyedLimiter:
    """Отдельное ведро на каждый ключ (клиент, IP, API-ключ); хранит не больше max_keys вёдер."""

    def __init__(
        self,
        rate: float,
        capacity: float,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 10_000,
    ) -> None:
        if max_keys < 1:
            raise ValueError("max_keys must be at least 1")
        TokenBucket(rate, capacity, clock)  # проверка параметров
        self.rate, self.capacity, self.max_keys = rate, capacity, max_keys
        self._clock = clock
        self._buckets: OrderedDict[str, TokenBucket] = OrderedDict()

    def allow(self, key: str, n: float = 1) -> bool:
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= self.max_keys:
                self._buckets.popitem(last=False)
            bucket = self._buckets[key] = TokenBucket(self.rate, self.capacity, self._clock)
        else:
            self._buckets.move_to_end(key)
        return bucket.allow(n)

    def __len__(self) -> int:
        return len(self._buckets)
