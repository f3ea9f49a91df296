"""A part README as authors really write it: read tolerantly, written back line for line.

`parse_part_readme` reads any README that has a `# Часть N: Title` line (the only thing a
part README cannot do without): the course's own layout (`## Завершённые материалы` /
`## Планируемые материалы` with `### 4.1 [Title](./file.md) ✅` headings), one
`## Материалы` block with `### ✅ Завершено` / `### 🚧 В разработке` sub-headings and
numbered items (`1. **[file.md](./file.md)** — Title`, linked = written; `2. **file.md** —
Title`, planned), bullets and task lists (`- [x] …`), all of them mixed, stubs, extra
sections and free text. What it does not know is kept in the text and named in a warning,
never refused. Code blocks and HTML comments are text, never structure.

`part_readme_rewrite` is the export: the author's text with only the lines the platform
owns changed, the status line's figures and the markers of sections whose state changed,
so the git diff of an export is a line or two; with nothing changed it is the input, byte
for byte. Pure: no database, no Django.

The package's modules, one per seam: `model` (what a README says), `lines` (what one line
says: the vocabulary, links, a line's state), `status` (the status line, read and written),
`reading` (the README's blocks, title, description, status), `sections` (the sections, line
by line) and `writing` (the export).
"""

from courses.part_readme.lines import (
    PART_TITLE_RE,
    find_links,
    line_state,
    material_path,
    split_lines,
)
from courses.part_readme.model import PartReadme, ReadmeError, ReadmeSection, StatusLine
from courses.part_readme.reading import parse_part_readme, part_number_of
from courses.part_readme.sections import first_of_each_number
from courses.part_readme.status import status_match
from courses.part_readme.writing import part_readme_rewrite

__all__ = [
    "PART_TITLE_RE",
    "PartReadme",
    "ReadmeError",
    "ReadmeSection",
    "StatusLine",
    "find_links",
    "first_of_each_number",
    "line_state",
    "material_path",
    "parse_part_readme",
    "part_number_of",
    "part_readme_rewrite",
    "split_lines",
    "status_match",
]
