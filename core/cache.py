"""The shared cache (Redis) used per request, failing fast: a frozen Redis adds at most one
short socket timeout to one request per process every few seconds, never seconds to each.

The cache holds nothing that must not be lost (the API's throttle counters, the similarity
pages' results): while Redis does not answer, reads find nothing and writes are dropped.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

from core.breaker import CircuitBreaker

# Seconds the cache is skipped after Redis failed to answer in time.
CACHE_BREAKER_OPEN_SECONDS = 5.0

cache_breaker = CircuitBreaker("the cache (Redis)", open_seconds=CACHE_BREAKER_OPEN_SECONDS)


def _fail_fast(name: str, fallback: Callable[..., Any]) -> Callable[..., Any]:
    parent = getattr(RedisCache, name)

    def method(self: RedisCache, *args: Any, **kwargs: Any) -> Any:
        if not cache_breaker.allows():
            return fallback(*args, **kwargs)
        try:
            result = parent(self, *args, **kwargs)
        except RedisError as error:
            cache_breaker.failed(error)
            return fallback(*args, **kwargs)
        cache_breaker.succeeded()
        return result

    method.__name__ = name
    return method


def _missing(key: Any, default: Any = None, version: Any = None) -> Any:
    return default


def _incr_missing(key: Any, delta: int = 1, version: Any = None) -> int:
    raise ValueError(f"Key '{key}' not found")  # what incr of an absent key raises


class FailFastRedisCache(RedisCache):
    get = _fail_fast("get", _missing)
    set = _fail_fast("set", lambda *a, **k: None)
    add = _fail_fast("add", lambda *a, **k: False)
    touch = _fail_fast("touch", lambda *a, **k: False)
    delete = _fail_fast("delete", lambda *a, **k: False)
    has_key = _fail_fast("has_key", lambda *a, **k: False)
    incr = _fail_fast("incr", _incr_missing)
    get_many = _fail_fast("get_many", lambda *a, **k: {})
    set_many = _fail_fast("set_many", lambda keys, *a, **k: list(keys))
    delete_many = _fail_fast("delete_many", lambda *a, **k: None)
    clear = _fail_fast("clear", lambda *a, **k: False)
