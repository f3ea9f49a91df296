"""Checks on the file names and sizes a run is given, and writing them into a work directory."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

# What a learner may send, and an exercise folder may hold per file set: the one definition
# (exercise_source, the services and the API's serializers take it from here).
MAX_FILES = 20
MAX_TOTAL_BYTES = 256 * 1024
# Path components are plain names: no dot-files (the runners' own files start with ".",
# "_zachet" or "zz_zachet").
_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.+-]{0,99}")


def validate_files(
    files: Mapping[str, str],
    test_files: Mapping[str, str],
    support_files: Mapping[str, str],
) -> None:
    """Raise ValueError for names that could leave the work directory or clash, and for
    learner submissions over the size limits."""
    if len(files) > MAX_FILES:
        raise ValueError(f"too many files: {len(files)} (at most {MAX_FILES})")
    total = sum(len(content.encode()) for content in files.values())
    if total > MAX_TOTAL_BYTES:
        raise ValueError(f"files too large: {total} bytes (at most {MAX_TOTAL_BYTES})")
    seen: set[str] = set()
    for group in (files, test_files, support_files):
        if len(group) > MAX_FILES * 5:
            raise ValueError(f"too many files: {len(group)}")
        for name in group:
            check_name(name)
            if name in seen:
                raise ValueError(
                    f"{name!r} is given twice (a solution file may not replace a test)"
                )
            seen.add(name)


def check_name(name: str) -> None:
    if not isinstance(name, str) or not name:
        raise ValueError("empty file name")
    if name.startswith("/") or "\\" in name or "\0" in name:
        raise ValueError(f"file name {name!r} must be a relative path")
    parts = name.split("/")
    if ".." in parts:
        raise ValueError(f"file name {name!r} may not contain '..'")
    if len(parts) > 4 or len(name) > 200:
        raise ValueError(f"file name {name!r} is too long")
    for part in parts:
        if not _NAME.fullmatch(part) or part.startswith(("_zachet", "zz_zachet")):
            raise ValueError(f"file name {name!r} has a component that is not a plain name")


def write_files(workdir: Path, *groups: Mapping[str, str]) -> None:
    for group in groups:
        for name, content in group.items():
            path = workdir / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content, encoding="utf-8")
