"""DRF's rate throttles, counted in the shared cache, failing open.

The counters live in `CACHES["default"]` (Redis in production), so every web process
counts against one quota. Throttling guards the site; it must not take the API down with
it: if the cache cannot be reached the request is let through and the failure logged.
"""

from __future__ import annotations

import logging
from typing import Any

from redis.exceptions import RedisError
from rest_framework import throttling
from rest_framework.request import Request

logger = logging.getLogger(__name__)


# A file cache fails with OSError, Redis with RedisError (its ConnectionError and
# TimeoutError are not OSError's).
CACHE_ERRORS = (OSError, RedisError)


class _FailOpen(throttling.SimpleRateThrottle):
    def allow_request(self, request: Request, view: Any) -> bool:
        try:
            return super().allow_request(request, view)
        except CACHE_ERRORS as error:
            logger.warning("throttle cache unreachable, request let through: %s", error)
            return True


class AnonRateThrottle(_FailOpen, throttling.AnonRateThrottle):
    pass


class UserRateThrottle(_FailOpen, throttling.UserRateThrottle):
    pass


class ScopedRateThrottle(_FailOpen, throttling.ScopedRateThrottle):
    pass
