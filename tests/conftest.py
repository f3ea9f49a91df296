"""Shared fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO_DIR = Path(__file__).resolve().parent.parent
# The course's Part 4 README at 2 of 7 and at 7 of 7 sections (shared test data);
# the demo content in the repo carries the 7-of-7 one for fresh machines.
SEEDS_DIR = REPO_DIR.parent / "shared" / "seeds"


@pytest.fixture
def seed_2_of_7() -> Path:
    path = SEEDS_DIR / "000_018bbf89c60ccb2c.txt"
    if not path.exists():
        pytest.fail(f"shared seed missing: {path}")
    return path


@pytest.fixture
def seed_7_of_7() -> Path:
    path = SEEDS_DIR / "001_21d381e445f2f015.txt"
    if not path.exists():
        pytest.fail(f"shared seed missing: {path}")
    return path
