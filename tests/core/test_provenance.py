"""The three-way merge of an import into a row (core.provenance), as pure functions."""

from __future__ import annotations

import pytest

from core.provenance import ImportPolicy, digests_for, made_by_import, merge

GROUPS = (("type", "spec"), ("text",), ("order",))
IMPORTED = {"type": "numeric", "spec": {"answer": 4}, "text": "2+2?", "order": 1}
RECORD = digests_for(IMPORTED, GROUPS)


def run(current, wanted, *, recorded=RECORD, protected=(), policy=ImportPolicy.MERGE):
    return merge(
        current={**IMPORTED, **current},
        wanted={**IMPORTED, **wanted},
        recorded=recorded,
        groups=GROUPS,
        protected=protected,
        policy=policy,
    )


@pytest.mark.parametrize(
    ("site", "file", "take", "kept_edited"),
    [
        # nobody changed anything
        ({}, {}, [], []),
        # the file changed, the site did not: the file's change lands
        ({}, {"text": "2 + 2?"}, ["text"], []),
        # the site changed, the file did not: the site's edit stays, silently
        ({"text": "Сколько будет 2+2?"}, {}, [], []),
        # both changed the same group differently: the site's stays, reported
        ({"text": "Сколько?"}, {"text": "2 + 2 = ?"}, [], ["text"]),
        # both made the same change: nothing to do
        ({"text": "2 + 2?"}, {"text": "2 + 2?"}, [], []),
        # each changed another group: both land
        ({"text": "Сколько?"}, {"order": 3}, ["order"], []),
        # a group goes as a whole: the site changed the spec, the file the type
        ({"spec": {"answer": 5}}, {"type": "short_answer"}, [], ["type", "spec"]),
    ],
)
def test_merge_group_by_group(site, file, take, kept_edited):
    result = run(site, file)

    assert result.take == take
    assert result.kept_edited == kept_edited
    assert result.kept_learners == []


def test_a_row_made_on_the_site_has_no_base_so_every_difference_is_kept():
    result = run({"text": "своё"}, {"text": "из файла"}, recorded={})
    assert (result.take, result.kept_edited) == ([], ["text"])
    # ... and what agrees is recorded as the import's from now on
    assert set(result.digests) == {"type+spec", "order"}


def test_learners_work_holds_the_file_back_until_overwrite():
    held = run({}, {"spec": {"answer": 5}}, protected={"spec"})
    assert (held.take, held.kept_learners) == ([], ["spec"])
    assert held.digests == RECORD

    forced = run({}, {"spec": {"answer": 5}}, protected={"spec"}, policy=ImportPolicy.OVERWRITE)
    assert forced.take == ["spec"]
    assert forced.digests["type+spec"] != RECORD["type+spec"]


def test_overwrite_takes_the_file_over_an_edit_and_records_it():
    result = run({"text": "своё"}, {"text": "из файла"}, policy=ImportPolicy.OVERWRITE)
    assert result.take == ["text"]
    assert result.digests == digests_for({**IMPORTED, "text": "из файла"}, GROUPS)


def test_add_only_changes_nothing_that_exists():
    result = run({"text": "своё"}, {"text": "из файла", "order": 9}, policy=ImportPolicy.ADD_ONLY)
    assert (result.take, result.kept_edited, result.kept_learners) == ([], [], [])


def test_fields_outside_the_groups_follow_the_file():
    result = merge(
        current={**IMPORTED, "number": "4.2"},
        wanted={**IMPORTED, "number": "4.3"},
        recorded=RECORD,
        groups=GROUPS,
    )
    assert result.take == ["number"]


def test_only_a_row_as_the_import_left_it_may_be_removed():
    assert made_by_import(current=IMPORTED, recorded=RECORD, groups=GROUPS)
    assert not made_by_import(current={**IMPORTED, "order": 2}, recorded=RECORD, groups=GROUPS)
    assert not made_by_import(current=IMPORTED, recorded={}, groups=GROUPS)
