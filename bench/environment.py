"""The environment a bench runs Django and its servers in: a production configuration (DEBUG
off, a throwaway secret) on loopback, each default overridable from the shell."""

from __future__ import annotations

import os
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


def production_defaults(*, database_url: str) -> None:
    """Defaults for what the bench's processes read from the environment (children inherit
    them: the servers it starts run as configured here)."""
    if str(BASE_DIR) not in sys.path:
        sys.path.insert(0, str(BASE_DIR))
    os.environ.setdefault("DATABASE_URL", database_url)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.setdefault("DEBUG", "0")
    os.environ.setdefault("SECRET_KEY", "bench-only-" + "x" * 40)
    # Plain HTTP on loopback: secure cookies would never come back.
    os.environ.setdefault("SESSION_COOKIE_SECURE", "0")
    os.environ.setdefault("CSRF_COOKIE_SECURE", "0")
