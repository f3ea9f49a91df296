"""The files of an exercise as an author edits them: one row per file (its group, name and
content), added, renamed or removed one by one, never a JSON dictionary. Every refusal names
the group, the file's number in it and its name, in the author's language.

The teaching pages' exercise editor (teaching.exercise_editor) and the admin's
CodingExercise form (grader.admin) both use `ExerciseFiles` and grader/_exercise_files.html,
whose textareas the code editor (grader/static/code-editor/) enhances.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from grader.exercise_source import MAX_BYTES, MAX_FILES
from grader.models import CodingExercise
from grader.runners.files import check_name

# The file groups, in the order the page shows them: (role, model field, title, hint).
ROLES: tuple[tuple[str, str, Promise, Promise], ...] = (
    ("starter", "starter_files", gettext_lazy("Starter code"),
     gettext_lazy("What a learner starts from and sends back: the files their solution is.")),
    ("reference", "reference_files", gettext_lazy("Reference solution"),
     gettext_lazy("The starter's files, solved: it must pass every test. Never shown to "
                  "learners.")),
    ("test", "test_files", gettext_lazy("Hidden tests"),
     gettext_lazy("What grades a submission; learners see each test's name and result, "
                  "never its code. At least one.")),
    ("example", "example_files", gettext_lazy("Visible examples"),
     gettext_lazy("Tests shown to learners on the exercise page; they are run too.")),
    ("support", "support_files", gettext_lazy("Support files"),
     gettext_lazy("Anything else the tests need (go.mod, data files); not shown to "
                  "learners.")),
)  # fmt: skip
ROLE_TITLES = {role: title for role, _field, title, _hint in ROLES}
ROLE_FIELDS = {role: name for role, name, _title, _hint in ROLES}
PREFIX = "files"
MAX_ROWS = MAX_FILES * 5
# Extensions a file of each group may have, per language.
EXTENSIONS = {
    "go": {
        "starter": (".go",),
        "reference": (".go",),
        "test": ("_test.go",),
        "example": ("_test.go",),
        "support": (".go", ".mod", ".sum", ".txt", ".json", ".csv", ".md"),
    },
    "python": {
        "starter": (".py",),
        "reference": (".py",),
        "test": (".py",),
        "example": (".py",),
        "support": (".py", ".txt", ".json", ".csv", ".md", ".cfg", ".ini", ".toml"),
    },
}


@dataclass
class FileRow:
    """One file of the editor: its group, name and content, and what is wrong with it."""

    index: int
    role: str
    name: str = ""
    content: str = ""
    errors: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.name.strip() and not self.content.strip()

    @property
    def prefix(self) -> str:
        """Of its inputs' names (files-3-name, files-3-content ...; ids start with id_)."""
        return f"{PREFIX}-{self.index}"


@dataclass
class FileGroup:
    role: str
    title: Promise
    hint: Promise
    rows: list[FileRow]
    errors: list[str] = field(default_factory=list)


class ExerciseFiles:
    """The file rows of the editor, from the exercise or from a post; `files()` after a
    successful `is_valid()` gives {model field: {name: content}}."""

    def __init__(
        self,
        *,
        exercise: CodingExercise | None = None,
        data: Mapping[str, Any] | None = None,
        add_role: str = "",
    ) -> None:
        self.rows: list[FileRow] = []
        self.group_errors: dict[str, list[str]] = {role: [] for role in ROLE_FIELDS}
        self.bound = data is not None
        if data is None:
            assert exercise is not None
            for role, field_name in ROLE_FIELDS.items():
                for name, content in sorted(getattr(exercise, field_name).items()):
                    self.rows.append(FileRow(len(self.rows), role, name, content))
        else:
            self._read(data)
        if add_role in ROLE_FIELDS and len(self.rows) < MAX_ROWS:
            self.rows.append(FileRow(len(self.rows), add_role))
        for role in ROLE_FIELDS:  # a group with no file gets an empty row to fill
            if role in ("starter", "reference", "test") and not self.of(role):
                self.rows.append(FileRow(len(self.rows), role))

    def _read(self, data: Mapping[str, Any]) -> None:
        try:
            total = min(int(data.get(f"{PREFIX}-TOTAL", "0")), MAX_ROWS)
        except ValueError:
            total = 0
        for index in range(total):
            role = str(data.get(f"{PREFIX}-{index}-role", ""))
            if role not in ROLE_FIELDS:
                continue
            if data.get(f"{PREFIX}-{index}-remove"):
                continue
            name = str(data.get(f"{PREFIX}-{index}-name", "")).strip()
            # (browsers post a textarea's line breaks as CRLF)
            content = str(data.get(f"{PREFIX}-{index}-content", "")).replace("\r\n", "\n")
            self.rows.append(FileRow(len(self.rows), role, name, content))

    def of(self, role: str) -> list[FileRow]:
        return [row for row in self.rows if row.role == role]

    @property
    def groups(self) -> list[FileGroup]:
        return [
            FileGroup(role, title, hint, self.of(role), self.group_errors[role])
            for role, _field_name, title, hint in ROLES
        ]

    @property
    def total(self) -> int:
        return len(self.rows)

    def is_valid(self, *, language: str) -> bool:
        if not self.bound:
            return False
        seen: dict[str, str] = {}  # name -> the role that has it (starter and reference share)
        for row in self.rows:
            if row.empty:
                continue
            title = ROLE_TITLES[row.role]
            number = self.of(row.role).index(row) + 1  # as the page numbers it, in its group
            where = _("%(group)s, file %(number)s") % {"group": title, "number": number}
            if not row.name:
                row.errors.append(_("%(where)s: the file needs a name.") % {"where": where})
                continue
            problem = name_problem(row.name, role=row.role, language=language)
            if problem:
                row.errors.append(f"{where}, «{row.name}»: {problem}")
                continue
            same_role = [other for other in self.of(row.role) if other.name == row.name]
            if same_role[0] is not row:
                row.errors.append(
                    _("%(where)s, «%(name)s»: this group has another file of that name.")
                    % {"where": where, "name": row.name}
                )
                continue
            owner = seen.get(row.name)
            clash = owner is not None and {owner, row.role} != {"starter", "reference"}
            if clash and owner is not None:
                row.errors.append(
                    _("%(where)s, «%(name)s»: %(other)s has a file of that name; a run puts them "
                      "in one folder.")
                    % {"where": where, "name": row.name, "other": ROLE_TITLES[owner]}
                )  # fmt: skip
                continue
            seen.setdefault(row.name, row.role)
        self._check_groups()
        return not any(row.errors for row in self.rows) and not any(self.group_errors.values())

    def _check_groups(self) -> None:
        named = {
            role: {row.name: row.content for row in self.of(role) if not row.empty}
            for role in ROLE_FIELDS
        }
        for role in ("starter", "reference", "test"):
            if not named[role]:
                self.group_errors[role].append(
                    _("%(group)s: at least one file is needed.") % {"group": ROLE_TITLES[role]}
                )
        for role, files in named.items():
            if len(files) > MAX_FILES:
                self.group_errors[role].append(
                    _("%(group)s: at most %(count)s files.")
                    % {"group": ROLE_TITLES[role], "count": MAX_FILES}
                )
            size = sum(len(text.encode()) for text in files.values())
            if size > MAX_BYTES:
                self.group_errors[role].append(
                    _("%(group)s: at most %(kb)s KB in all (now %(now)s KB).")
                    % {"group": ROLE_TITLES[role], "kb": MAX_BYTES // 1024,
                       "now": -(-size // 1024)}
                )  # fmt: skip
        starter, reference = set(named["starter"]), set(named["reference"])
        if starter and reference and starter != reference:
            self.group_errors["reference"].append(
                _("%(group)s: must have the starter's files (%(starter)s), has %(reference)s.")
                % {"group": ROLE_TITLES["reference"], "starter": ", ".join(sorted(starter)),
                   "reference": ", ".join(sorted(reference))}
            )  # fmt: skip

    def files(self) -> dict[str, dict[str, str]]:
        return {
            field_name: {row.name: row.content for row in self.of(role) if not row.empty}
            for role, field_name in ROLE_FIELDS.items()
        }


def name_problem(name: str, *, role: str, language: str) -> str:
    """What is wrong with a file name, in the instructor's language ("" if nothing)."""
    if name.startswith("/") or "\\" in name or ".." in name.split("/"):
        return _("a file name must stay inside the exercise's folder (no «/» at the start, "
                 "no «..», no «\\»).")  # fmt: skip
    try:
        check_name(name)
    except ValueError:
        return _("use letters, digits and «_ . + -» in each part of the name (at most 4 folders "
                 "deep, 200 characters), not starting with «.» or «_zachet».")  # fmt: skip
    allowed = EXTENSIONS.get(language, {}).get(role, ())
    if allowed and not name.endswith(allowed):
        return _("in a %(language)s exercise, this group's files end with %(endings)s.") % {
            "language": dict(CodingExercise.Language.choices).get(language, language),
            "endings": ", ".join(f"«{ending}»" for ending in allowed),
        }
    if language == "go" and role in ("starter", "reference") and name.endswith("_test.go"):
        return _("a Go solution file may not end with «_test.go» (that is a test).")
    return ""
