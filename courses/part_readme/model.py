"""What a part README says: its sections, its status line, and the one refusal."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class ReadmeSection:
    number: str
    title: str
    published: bool
    topics: tuple[str, ...]
    source_path: str  # the material file, linked ("02_caching.md") or named ("**02.md**")
    linked: bool  # the line links its file (a written section's material)
    line: int  # 1-based
    # What its block (or sub-heading) says of its lines: written, planned, or nothing.
    block_state: bool | None
    # "heading" (### 4.1 …), "item" (1. …), "bullet" (- …) or "task" (- [x] …).
    shape: str = "heading"


@dataclass(frozen=True)
class StatusLine:
    line: int  # 1-based
    done: int
    total: int


@dataclass(frozen=True)
class PartReadme:
    number: int
    title: str
    description: str
    study_time: str
    nav_links: tuple[tuple[str, str], ...]
    sections: tuple[ReadmeSection, ...]
    status: StatusLine | None
    stated_status: str
    warnings: tuple[str, ...] = ()
    # Reference-style link targets ("[ref]: ./01_x.md"), by lower-case name.
    references: Mapping[str, str] = field(default_factory=dict)


class ReadmeError(ValueError):
    def __init__(self, line: int, message: str) -> None:
        self.line = line
        self.message = message
        super().__init__(f"{line}: {message}")
