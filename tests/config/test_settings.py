"""Settings come from the environment; production refuses the development secret key."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from config.settings import BASE_DIR, DEVELOPMENT_SECRET_KEY, database_config


def settings_in_subprocess(env: dict[str, str], code: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY"}}
    return subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        env={**clean, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.slow
def test_development_secret_key_is_refused_when_debug_is_off():
    result = settings_in_subprocess({"DEBUG": "0"}, "print('started')")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


@pytest.mark.slow
def test_production_settings_start_with_a_real_key():
    key = "k" * 16 + "Q7#pz" * 8
    result = settings_in_subprocess(
        {"DEBUG": "0", "SECRET_KEY": key, "ALLOWED_HOSTS": "zachet.example"},
        "from django.conf import settings as s; print(s.DEBUG, s.ALLOWED_HOSTS, s.SECRET_KEY != "
        f"{DEVELOPMENT_SECRET_KEY!r}, s.SESSION_COOKIE_SECURE)",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False ['zachet.example'] True True"


@pytest.mark.slow
def test_a_malformed_boolean_is_a_clear_error():
    result = settings_in_subprocess({"DEBUG": "maybe"}, "pass")
    assert "DEBUG='maybe' is not a boolean" in result.stderr


def test_sqlite_is_configured_for_several_writing_processes(tmp_path):
    config = database_config(f"sqlite:///{tmp_path}/db.sqlite3")
    assert config["ENGINE"] == "django.db.backends.sqlite3"
    assert config["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in config["OPTIONS"]["init_command"]
    assert config["OPTIONS"]["timeout"] >= 10


def test_postgresql_keeps_connections():
    config = database_config("postgres://zachet@db.internal:5432/zachet")
    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert config["HOST"] == "db.internal"
    assert config["CONN_MAX_AGE"] > 0
    assert config["CONN_HEALTH_CHECKS"] is True
