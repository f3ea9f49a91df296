from promparse import Sample, parse_line, parse_text


def test_example_histogram_bucket():
    line = 'http_request_duration_seconds_bucket{handler="/api/orders",le="0.25"} 42 1700000000000'
    assert parse_line(line) == Sample(
        name="http_request_duration_seconds_bucket",
        labels={"handler": "/api/orders", "le": "0.25"},
        value=42.0,
        timestamp=1700000000000,
    )


def test_example_text_with_comments():
    text = "# TYPE up gauge\nup{job=\"api\"} 1\n"
    assert parse_text(text) == [Sample("up", {"job": "api"}, 1.0)]
