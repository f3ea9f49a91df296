"""What one line of a README says (courses.part_readme.lines): links, files, states, blocks."""

from __future__ import annotations

import pytest

from courses.part_readme.lines import block_kind, find_links, line_state, material_path


def test_links_in_every_form_an_author_writes():
    links = find_links('[A](./a.md "подсказка") и [c][ref]', {"ref": "./c.md"})
    assert [(link.text, link.href) for link in links] == [("A", "./a.md"), ("c", "./c.md")]


@pytest.mark.parametrize(
    ("href", "path"),
    [
        ("./02_caching.md", "02_caching.md"),
        ("./dir/", "dir/README.md"),
        ("https://go.dev/a.md", ""),
    ],
)
def test_a_link_names_a_material_file_only_inside_the_book(href, path):
    assert material_path(href) == path


@pytest.mark.parametrize(
    ("text", "block_state", "shape", "written"),
    [
        ("[Title](./a.md) ✅", None, "heading", True),  # linked and marked
        ("Title 🚧", True, "heading", False),  # the mark wins over its block
        ("**02_x.md** — Title", None, "item", False),  # its file named, not linked
        ("[Title](./a.md)", None, "bullet", True),  # a link says written
        ("Title", False, "bullet", False),  # as its block says
    ],
)
def test_a_lines_state(text, block_state, shape, written):
    assert line_state(text, block_state, shape) is written


@pytest.mark.parametrize(
    ("title", "kind"),
    [("Завершённые материалы", "published"), ("Статус", "status"), ("Полезные ссылки", None)],
)
def test_a_block_is_known_by_its_words(title, kind):
    assert block_kind(title) == kind
