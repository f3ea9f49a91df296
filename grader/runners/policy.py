"""What an exercise lets learner code use beyond the default Go policy, and what that costs.

The default policy (docs/grader.md, "Go: what learner code may do") is checked statically
before the build: the tests' verdict then comes from a channel learner code cannot reach, and
an exercise is `checked`. An exercise may allow more packages or objects in its exercise.toml
(`[integrity] allow_packages = ["reflect"]`, `allow_functions = ["os.Exit"]`): learner code
could then forge a pass from inside the test binary, and the exercise is `in-process`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

Integrity = Literal["isolated", "checked", "in-process"]

# An import path ("os/exec") and a package-level object of one ("os.Exit", "os.Process").
_IMPORT_PATH = re.compile(r"[A-Za-z0-9_.\-]+(/[A-Za-z0-9_.\-]+)*")
_OBJECT = re.compile(r"[A-Za-z0-9_.\-]+(/[A-Za-z0-9_.\-]+)*\.[A-Za-z_][A-Za-z0-9_]*")
# Allowing one of these lets learner code start programs: the seccomp guard then lets it too.
# (Allowing package syscall alone does not: its raw calls stay under the filter.)
_PROCESS_PACKAGES = frozenset({"os/exec"})
_PROCESS_OBJECTS = frozenset(
    {"os.StartProcess", "syscall.Exec", "syscall.ForkExec", "syscall.StartProcess"}
)


@dataclass(frozen=True)
class Allowances:
    packages: tuple[str, ...] = ()
    functions: tuple[str, ...] = ()

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> Allowances:
        """From the stored form ({"packages": [...], "functions": [...]}; {} is the default)."""
        data = data or {}
        return cls(
            packages=tuple(str(p) for p in data.get("packages", ())),
            functions=tuple(str(f) for f in data.get("functions", ())),
        )

    def to_json(self) -> dict[str, list[str]]:
        if self.default:
            return {}
        return {"packages": list(self.packages), "functions": list(self.functions)}

    @property
    def default(self) -> bool:
        return not self.packages and not self.functions

    @property
    def processes(self) -> bool:
        """Whether learner code may start programs (the guard's filter then lets it)."""
        return bool(
            _PROCESS_PACKAGES & set(self.packages) or _PROCESS_OBJECTS & set(self.functions)
        )

    def problems(self) -> list[str]:
        """What is malformed, one line each (empty when all is well)."""
        found = [
            f"allow_packages: {p!r} is not an import path"
            for p in self.packages
            if not _IMPORT_PATH.fullmatch(p)
        ]
        found += [
            f"allow_functions: {f!r} is not a package's object (like os.Exit)"
            for f in self.functions
            if not _OBJECT.fullmatch(f)
        ]
        return found


DEFAULT_ALLOWANCES = Allowances()


def go_integrity(allowances: Allowances) -> Integrity:
    """`checked` under the default policy, `in-process` once an exercise allows more."""
    return "checked" if allowances.default else "in-process"
