"""Item-analysis statistics against values computed by hand."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from teaching.charts import Bar, bar_chart
from teaching.stats import discrimination, facility, histogram, median, verdict_flags


def test_facility_is_the_mean_score_over_the_points():
    # 2 + 1 + 0 + 2 = 5 of 4 x 2 points: 62.5 %
    assert facility([D(2), D(1), D(0), D(2)], D(2)) == D("62.5")
    assert facility([], D(1)) is None


def test_discrimination_is_the_item_rest_correlation():
    # item 1,1,0,0 against rest 3,2,1,0: x̄=0.5, ȳ=1.5; Sxy = 0.5*1.5+0.5*0.5+(-0.5)(-0.5)
    # +(-0.5)(-1.5) = 2; Sxx = 1; Syy = 5; r = 2/sqrt(5) = 0.8944
    assert discrimination([D(1), D(1), D(0), D(0)], [D(3), D(2), D(1), D(0)]) == D("89.4")
    # the strong got it wrong: negative
    assert discrimination([D(0), D(0), D(1), D(1)], [D(3), D(2), D(1), D(0)]) == D("-89.4")
    assert discrimination([D(1), D(1)], [D(3), D(2)]) is None  # everyone right: no spread
    with pytest.raises(ValueError, match="one item score"):
        discrimination([D(1)], [])


def test_histogram_median_and_flags():
    assert histogram([D(0), D("9.99"), D(10), D(55), D(100)]) == [2, 1, 0, 0, 0, 1, 0, 0, 0, 1]
    assert median([3, 1, 2]) == 2
    assert median([1, 2, 3, 10]) == 2.5
    assert median([]) is None
    assert verdict_flags(facility=D(95), discrimination=D(-5), attempts=40) == [
        "easy",
        "misleading",
    ]
    assert verdict_flags(facility=D(50), discrimination=D(10), attempts=40) == ["weak"]
    assert verdict_flags(facility=D(10), discrimination=D(40), attempts=40) == ["hard"]
    assert verdict_flags(facility=D(10), discrimination=None, attempts=3) == ["few"]


def test_a_chart_escapes_outside_text_and_names_itself():
    svg = str(bar_chart([Bar("<script>", 3, highlight=True), Bar("b", 1)], title="Ответы"))
    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg
    assert 'role="img"' in svg
    assert "<title>Ответы</title>" in svg
    assert svg.count("<rect") == 2
