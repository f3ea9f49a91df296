"""Two processes writing to the embedded SQLite database at once must not fail.

Regression guard for "database is locked": a deferred transaction that reads
and then writes cannot upgrade its lock while another process writes, and
SQLite fails it at once instead of waiting. IMMEDIATE transactions plus WAL
and a busy timeout make the writers queue instead.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from config.settings import BASE_DIR

WRITER = """
import django, sys
django.setup()
from django.db import transaction
from courses.models import Course
name = sys.argv[1]
for i in range(int(sys.argv[2])):
    with transaction.atomic():
        # read, then write in the same transaction: what a grading service does
        Course.objects.filter(slug__startswith=name).count()
        Course.objects.create(slug=f"{name}-{i}", title=name)
print("ok")
"""


@pytest.mark.slow
@pytest.mark.database_incidental  # (SQLite's own locking: the PostgreSQL pass has nothing to add)
def test_two_processes_write_at_once_without_database_is_locked(tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "ZACHET_VAR_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path}/concurrent.sqlite3",
    }
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v", "0"], env=env, cwd=BASE_DIR, check=True
    )
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, name, "300"],
            env=env,
            cwd=BASE_DIR,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("a", "b")
    ]
    results = [writer.communicate(timeout=120) for writer in writers]

    for writer, (out, err) in zip(writers, results, strict=True):
        assert writer.returncode == 0, err[-2000:]
        assert out.strip() == "ok"
    count = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from courses.models import Course;"
            " print(Course.objects.count())",
        ],
        env=env,
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert count == "600"
