"""Bar charts as inline SVG, drawn on the server: no chart library, no script, no CDN.

Each chart is an image with a text alternative (role="img", <title>, aria-label); the page
prints the same numbers in a table beside it, which is what screen readers and a copy to a
spreadsheet use. Labels and values are escaped: option texts and learners' answers are
outside text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WIDTH = 480
BAR = 22
GAP = 6
LABEL = 170
VALUE = 60


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    highlight: bool = False  # e.g. the right option


def bar_chart(bars: Sequence[Bar], *, title: str) -> SafeString:
    """Horizontal bars, one per row, scaled to the largest value."""
    height = max(1, len(bars)) * (BAR + GAP) + GAP
    largest = max((bar.value for bar in bars), default=0) or 1
    room = WIDTH - LABEL - VALUE
    rows = []
    for index, bar in enumerate(bars):
        y = GAP + index * (BAR + GAP)
        length = max(0.0, bar.value) / largest * room
        label = escape(bar.label if len(bar.label) <= 28 else bar.label[:27] + "…")
        number = escape(f"{bar.value:g}")
        css = "chart__bar chart__bar--key" if bar.highlight else "chart__bar"
        rows.append(
            f'<text x="{LABEL - 6}" y="{y + BAR * 0.7:.1f}" text-anchor="end">{label}</text>'
            f'<rect class="{css}" x="{LABEL}" y="{y}" width="{length:.1f}" height="{BAR}"/>'
            f'<text x="{LABEL + length + 4:.1f}" y="{y + BAR * 0.7:.1f}">{number}</text>'
        )
    text = escape(title)
    return mark_safe(  # noqa: S308 - every outside string above is escaped
        f'<svg class="chart" role="img" aria-label="{text}" viewBox="0 0 {WIDTH} {height}" '
        f'width="{WIDTH}" height="{height}" xmlns="http://www.w3.org/2000/svg">'
        f"<title>{text}</title>{''.join(rows)}</svg>"
    )
