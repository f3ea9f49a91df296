"""Images of questions: how a text refers to them, and how a page shows them.

A Moodle XML question's text refers to its images as "@@PLUGINFILE@@/name". We store them
keyed by a digest of their bytes, "@@PLUGINFILE@@/<key>/name", so a page turns every reference
into the URL of quizzes.views.question_file_view without knowing the question, and the same
file imported again gives the same text. Export turns the key back into Moodle's form.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from typing import Final

from quizzes.gift import QuestionFile

PLUGINFILE: Final = "@@PLUGINFILE@@/"
URL_PREFIX: Final = "/quizzes/files/"
_KEYED: Final = re.compile(re.escape(PLUGINFILE) + r"([0-9a-f]{32})/")


def file_key(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:32]


def text_with_keys(text: str, files: Iterable[QuestionFile]) -> str:
    """Moodle's references ("@@PLUGINFILE@@/name") as ours ("@@PLUGINFILE@@/<key>/name")."""
    for file in files:
        text = text.replace(
            PLUGINFILE + file.name, f"{PLUGINFILE}{file_key(file.data)}/{file.name}"
        )
    return text


def text_without_keys(text: str) -> str:
    return _KEYED.sub(PLUGINFILE, text)


def text_with_urls(text: str) -> str:
    """A text's references as the URLs a page loads the images from."""
    return _KEYED.sub(lambda m: f"{URL_PREFIX}{m.group(1)}/", text)
