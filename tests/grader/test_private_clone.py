"""A checkout inside a folder only its owner may enter still grades Go and Python.

Regression (issue 15): in a clone under a 0700 folder (a home folder, `mktemp -d`) every
sandboxed run failed with "bwrap: Can't find source path <clone>/.venv/.../go: Permission
denied": bwrap looks its bind sources up as the sandbox uid, which cannot enter the folder.
Here the repository is cloned into such a folder (with this checkout's uncommitted changes,
so the test checks the code under test) and a real worker grades one Go and one Python
submission from there, in a pytest run of the clone's own.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings

from grader.sandbox import reachable_by, sandbox_ids
from tests.conftest import REPO_DIR

pytestmark = [
    pytest.mark.slow,
    pytest.mark.database_incidental,
    pytest.mark.services,
    pytest.mark.usefixtures("need_sandbox"),
]


def clone_into(private: Path) -> Path:
    clone = private / "z"
    git = ["git", "-c", "safe.directory=*"]
    subprocess.run([*git, "clone", "--quiet", str(REPO_DIR), str(clone)], check=True)
    changes = subprocess.run(
        [*git, "-C", str(REPO_DIR), "diff", "HEAD", "--binary"], check=True, capture_output=True
    ).stdout
    if changes:
        subprocess.run([*git, "-C", str(clone), "apply", "--binary"], input=changes, check=True)
    untracked = subprocess.run(
        [*git, "-C", str(REPO_DIR), "ls-files", "--others", "--exclude-standard", "-z"],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    for name in filter(None, untracked.split("\0")):
        (clone / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO_DIR / name, clone / name)
    # The clone's own environment, as bin/setup would make it (hard links: seconds, not a
    # minute of pip): its Go toolchain is inside the private folder, as a user's would be.
    linked = subprocess.run(["cp", "-al", str(REPO_DIR / ".venv"), str(clone / ".venv")])
    if linked.returncode != 0:
        shutil.rmtree(clone / ".venv", ignore_errors=True)
        subprocess.run(["cp", "-a", str(REPO_DIR / ".venv"), str(clone / ".venv")], check=True)
    return clone


def test_a_clone_in_a_private_folder_grades_go_and_python(tmp_path: Path, go_cache: Path) -> None:
    private = tmp_path / "home"
    private.mkdir(mode=0o700)
    clone = clone_into(private)
    python = clone / ".venv" / "bin" / "python"
    go_root = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    # The situation of the bug: the sandbox uid cannot reach the clone's toolchain.
    assert go_root.startswith(str(clone))
    assert not reachable_by(f"{go_root}/go", *sandbox_ids())

    env = {
        key: value
        for key, value in os.environ.items()
        # The clone's run uses its own embedded defaults (SQLite, embedded Redis, var/ in
        # the clone), never the outer run's database, which its test run would drop.
        if key not in {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "ZACHET_VAR_DIR"}
        and not key.startswith(("PYTEST_", "GRADER_"))
    }
    check = subprocess.run(
        [str(python), "manage.py", "check_sandbox"],
        cwd=clone, capture_output=True, text=True, timeout=120,
        # (a uid of this session's range: not a running site's, nor another suite's)
        env={**env, "GRADER_SANDBOX_UID": str(settings.GRADER_SANDBOX_UID + 500)},
    )  # fmt: skip
    assert check.returncode == 0, check.stderr
    # The clone's Go build caches start as copies of this session's: its toolchain is in
    # another folder, so go_cache_warm rebuilds the shared one from those entries, and the check
    # tools are built again over theirs (the standard packages are found: seconds, where cold
    # builds took this test most of its time).
    seeded = clone / "var" / "test-go"
    (seeded / "go-tools").mkdir(parents=True)
    subprocess.run(["cp", "-al", str(go_cache), str(seeded / "go-cache")], check=True)
    tools_cache = go_cache.with_name("go-tools") / "cache"  # (a cache go writes in: copied)
    subprocess.run(["cp", "-a", str(tools_cache), str(seeded / "go-tools")], check=True)
    graded = subprocess.run(
        [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider",
         "tests/grader/test_grading_worker.py::test_submissions_are_graded_by_a_real_worker"],
        cwd=clone, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert graded.returncode == 0, graded.stdout[-3000:] + graded.stderr[-2000:]
    assert "2 passed" in graded.stdout
