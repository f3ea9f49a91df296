"""Part README parsing and export speed: the corpus, and a generated README of many sections.

    .venv/bin/python bench/readme.py [--sections 1000] [--repeat 5]

Pure functions (courses.part_readme), no database: what `import_course` and
`export_part_readme` spend on the text itself. Not a test: it prints numbers.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from courses.part_readme import parse_part_readme, part_readme_rewrite  # noqa: E402

CORPUS = BASE_DIR / "tests" / "data" / "readmes"


def generated(sections: int) -> str:
    """A README of `sections` sections: numbered items linking their files under "✅
    Завершено", then planned `### 4.N` headings, each with topics, links and code in them."""
    half = sections // 2
    lines = ["# Часть 4: Большая часть", "", "## Статус", ""]
    lines += [f"🚧 **В разработке** — 50% ({half} из {sections} разделов)", ""]
    lines += ["## Материалы", "", "### ✅ Завершено", ""]
    for n in range(1, sections + 1):
        file = f"{n:04}_section.md"
        if n <= half:
            lines.append(f'{n}. **[{file}](./{file} "Раздел {n}")** — Раздел {n}')
        else:
            lines.append(f"### 4.{n} Раздел {n}")
        lines += [f"   - тема {n}.1 с [ссылкой](https://go.dev/doc/)", f"   - тема {n}.2 `код`"]
    lines += ["", "```go", "## не заголовок", "```", "", "---", "", "[← Назад](../README.md)", ""]
    return "\n".join(lines)


def timed(function: Callable[[], object], repeat: int) -> list[float]:
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        runs.append((time.perf_counter() - started) * 1000)
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sections", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    texts = [path.read_text(encoding="utf-8") for path in sorted(CORPUS.glob("*.md"))]
    corpus = timed(lambda: [parse_part_readme(text) for text in texts], args.repeat)
    print(f"corpus: {len(texts)} READMEs parsed in {statistics.median(corpus):.1f} ms (median)")

    text = generated(args.sections)
    readme = parse_part_readme(text)
    assert len(readme.sections) == args.sections, len(readme.sections)
    parse = timed(lambda: parse_part_readme(text), args.repeat)
    published = {s.number: True for s in readme.sections}
    export = timed(
        lambda: part_readme_rewrite(
            text, published=published, done=args.sections, total=args.sections
        ),
        args.repeat,
    )
    size = len(text.encode("utf-8")) // 1024
    print(
        f"generated: {args.sections} sections, {text.count(chr(10))} lines, {size} KB: "
        f"parse {statistics.median(parse):.0f} ms, export with every section changed "
        f"{statistics.median(export):.0f} ms (median of {args.repeat})"
    )


if __name__ == "__main__":
    main()
