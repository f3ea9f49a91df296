"""What an import last wrote to a row, so that the next import can tell an instructor's edits
on the site from its own earlier work, and never overwrite or delete the former unasked.

An imported row keeps `import_digests`: for each group of the fields the import owns (a
question's answer key is one group, its text another), a digest of the values the import
wrote. The next import merges as git merges a file, group by group, with that record as the
common base:

- the row already says what the file says: nothing to do;
- the site left the group as the import wrote it: the file's change lands;
- the site changed the group and the file did not: the site's edit stays, silently;
- both changed it (or the row was made on the site, so there is no base): a conflict. The
  site's version stays and the report says so, unless the import is run with `overwrite`.

A group that learners' work hangs on (an answered question's key, the tests of an exercise
with submissions) changes only with `overwrite`, even when nobody edited it on the site.
`add_only` (the demo) creates what is missing and leaves every existing row as it is.
"""

from __future__ import annotations

import argparse
import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from core.versions import content_version

FieldGroups = tuple[tuple[str, ...], ...]


class ImportPolicy(enum.StrEnum):
    MERGE = "merge"  # the default: the file's changes land where the site left them alone
    OVERWRITE = "overwrite"  # the file wins everywhere (an explicit flag)
    ADD_ONLY = "add_only"  # create what is missing, touch nothing that exists (the demo)


def group_key(group: tuple[str, ...]) -> str:
    return "+".join(group)


def group_digest(values: Mapping[str, Any], group: tuple[str, ...]) -> str:
    return content_version(*(values[name] for name in group))


def _present(groups: FieldGroups, wanted: Mapping[str, Any]) -> list[tuple[str, ...]]:
    """The groups the import has values for (a section's material only when its file is
    there); a group is all in or all out."""
    return [group for group in groups if all(name in wanted for name in group)]


def digests_for(values: Mapping[str, Any], groups: FieldGroups) -> dict[str, str]:
    """The record of a row the import writes whole (a new one)."""
    return {group_key(group): group_digest(values, group) for group in _present(groups, values)}


def record_as_imported(instance: Any, groups: FieldGroups) -> None:
    """Set the record of a row the import makes whole (a new one), before it is saved."""
    instance.import_digests = digests_for(field_values(instance, groups), groups)


@dataclass
class Merge:
    """What one import does to one existing row."""

    take: list[str] = field(default_factory=list)  # fields set from the file
    kept_edited: list[str] = field(default_factory=list)  # both changed: the site's stays
    kept_learners: list[str] = field(default_factory=list)  # learners' work hangs on them
    digests: dict[str, str] = field(default_factory=dict)  # the record after the import

    @property
    def conflicts(self) -> bool:
        return bool(self.kept_edited or self.kept_learners)


def merge(
    *,
    current: Mapping[str, Any],
    wanted: Mapping[str, Any],
    recorded: Mapping[str, str] | None,
    groups: FieldGroups,
    protected: Iterable[str] = (),
    policy: ImportPolicy = ImportPolicy.MERGE,
) -> Merge:
    """Merge the file's values (`wanted`) into a row (`current`), group by group; fields of
    `wanted` outside `groups` (a section's number and order) always follow the file."""
    recorded = dict(recorded or {})
    protected = frozenset(protected)
    result = Merge(digests=dict(recorded))
    grouped = {name for group in groups for name in group}
    if policy != ImportPolicy.ADD_ONLY:
        result.take += [
            name for name in wanted if name not in grouped and current[name] != wanted[name]
        ]
    for group in _present(groups, wanted):
        key = group_key(group)
        site = group_digest(current, group)
        theirs = group_digest(wanted, group)
        changed = [name for name in group if current[name] != wanted[name]]
        if not changed:
            result.digests[key] = theirs
            continue
        base = recorded.get(key)
        if policy == ImportPolicy.ADD_ONLY:
            continue
        if policy == ImportPolicy.OVERWRITE:
            result.take += changed
            result.digests[key] = theirs
        elif base != site:
            if base != theirs:  # both changed, or made on the site (no base)
                result.kept_edited += changed
        elif protected & set(group):
            result.kept_learners += changed
        else:
            result.take += changed
            result.digests[key] = theirs
    return result


def merge_into(
    instance: Any,
    wanted: Mapping[str, Any],
    groups: FieldGroups,
    *,
    protected: Iterable[str] = (),
    policy: ImportPolicy = ImportPolicy.MERGE,
) -> Merge:
    """`merge` a row (its `import_digests` the record) and set the fields the file wins;
    the caller saves the row, with `digests` as its new record."""
    merged = merge(
        current=field_values(instance, groups, extra=wanted),
        wanted=wanted,
        recorded=instance.import_digests,
        groups=groups,
        protected=protected,
        policy=policy,
    )
    for name in merged.take:
        setattr(instance, name, wanted[name])
    return merged


def add_import_arguments(parser: argparse.ArgumentParser, *, overwrite_help: str) -> None:
    """The flags every import command takes."""
    parser.add_argument("--overwrite", action="store_true", help=overwrite_help)
    parser.add_argument(
        "--dry-run", action="store_true", help="report what would change, write nothing"
    )


def policy_from(options: Mapping[str, Any]) -> ImportPolicy:
    return ImportPolicy.OVERWRITE if options["overwrite"] else ImportPolicy.MERGE


def made_by_import(
    *, current: Mapping[str, Any], recorded: Mapping[str, str] | None, groups: FieldGroups
) -> bool:
    """Whether the row is as an import left it: made by one and not edited on the site since,
    so that an import may remove it."""
    if not recorded:
        return False
    return all(
        recorded.get(group_key(group)) == group_digest(current, group)
        for group in _present(groups, current)
    )


def field_values(instance: Any, groups: FieldGroups, extra: Iterable[str] = ()) -> dict[str, Any]:
    """The row's values of the grouped fields (and `extra` ones), as `merge` compares them."""
    names = [name for group in groups for name in group] + list(extra)
    return {name: getattr(instance, name) for name in names}
