"""The shipped translation catalogs: complete, and the compiled .mo matches the .po."""

from __future__ import annotations

from pathlib import Path

import polib
import pytest

LOCALE_DIR = Path(__file__).resolve().parent.parent.parent / "locale"


def test_every_russian_message_is_translated():
    catalog = polib.pofile(str(LOCALE_DIR / "ru/LC_MESSAGES/django.po"))
    untranslated = [entry.msgid for entry in catalog.untranslated_entries()]
    fuzzy = [entry.msgid for entry in catalog.fuzzy_entries()]
    assert untranslated == []
    assert fuzzy == []


@pytest.mark.parametrize("language", ["ru", "en"])
def test_compiled_catalog_matches_its_source(language):
    # .mo files are committed (a fresh machine has no msgfmt); they must not drift.
    source = polib.pofile(str(LOCALE_DIR / f"{language}/LC_MESSAGES/django.po"))
    compiled = polib.mofile(str(LOCALE_DIR / f"{language}/LC_MESSAGES/django.mo"))

    def entries(catalog: polib._BaseFile) -> dict[str, object]:
        return {
            e.msgid: e.msgstr_plural or e.msgstr
            for e in catalog
            if e.msgid and (e.msgstr or any(e.msgstr_plural.values())) and "fuzzy" not in e.flags
        }

    expected = {
        k: {int(i): s for i, s in v.items()} if isinstance(v, dict) else v
        for k, v in entries(source).items()
    }
    actual = {
        k: {int(i): s for i, s in v.items()} if isinstance(v, dict) else v
        for k, v in entries(compiled).items()
    }
    assert actual == expected
