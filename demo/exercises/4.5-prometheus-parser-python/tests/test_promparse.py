import math

from promparse import Sample, parse_line, parse_text


def test_simple_counter():
    assert parse_line("http_requests_total 1027") == Sample("http_requests_total", {}, 1027.0, None)


def test_labels_and_timestamp():
    sample = parse_line('http_requests_total{method="post",code="200"} 1027 1395066363000')
    assert sample == Sample("http_requests_total", {"method": "post", "code": "200"}, 1027.0, 1395066363000)
    assert isinstance(sample.timestamp, int)


def test_comments_and_blank_lines_are_skipped():
    assert parse_line("# HELP http_requests_total The total number of HTTP requests.") is None
    assert parse_line("# TYPE http_requests_total counter") is None
    assert parse_line("") is None
    assert parse_line("   \t ") is None


def test_surrounding_whitespace_and_newline():
    assert parse_line("  up 1\n") == Sample("up", {}, 1.0)


def test_float_formats():
    assert parse_line("x 3.14").value == 3.14
    assert parse_line("x -0.5").value == -0.5
    assert parse_line("x 1e-3").value == 0.001
    assert parse_line("x 1.5E+2").value == 150.0
    assert parse_line("x .5").value == 0.5
    assert parse_line("x +7").value == 7.0


def test_special_values():
    assert math.isnan(parse_line("x NaN").value)
    assert parse_line('le_bucket{le="+Inf"} +Inf').value == math.inf
    assert parse_line("x -Inf").value == -math.inf
    assert parse_line("x Inf").value == math.inf


def test_escapes_in_label_values():
    sample = parse_line(r'msdos_file_access_time_seconds{path="C:\\DIR\\FILE.TXT",error="Cannot find file:\n\"FILE.TXT\""} 1.458255915e9')
    assert sample.labels == {"path": "C:\\DIR\\FILE.TXT", "error": 'Cannot find file:\n"FILE.TXT"'}
    assert sample.value == 1458255915.0


def test_special_characters_inside_quotes():
    sample = parse_line('rpc_calls{method="a,b}c d=e"} 2')
    assert sample.labels == {"method": "a,b}c d=e"}


def test_empty_braces_trailing_comma_and_spaces():
    assert parse_line("up{} 1").labels == {}
    assert parse_line('up{job="api",} 1').labels == {"job": "api"}
    assert parse_line('up{ job = "api" , instance="a:9090" } 1').labels == {"job": "api", "instance": "a:9090"}


def test_name_with_colons_and_negative_timestamp():
    sample = parse_line("job:http_requests:rate5m 12.5 -1")
    assert sample.name == "job:http_requests:rate5m"
    assert sample.timestamp == -1


def test_empty_label_value():
    assert parse_line('x{a=""} 0').labels == {"a": ""}


def assert_invalid(lines):
    for line in lines:
        try:
            parse_line(line)
        except ValueError:
            continue
        raise AssertionError(f"parse_line({line!r}) must raise ValueError")


def test_invalid_structure_raises_value_error():
    assert_invalid(["1bad_name 1", "metric", "metric{} ", 'metric{a="1"}1', "metric 1 2 3", 'metric{a="x"'])


def test_invalid_values_raise_value_error():
    assert_invalid(["metric one", "metric 1_000", "metric infinity", "metric nan", "metric 0x1F", "metric 1 1.5"])


def test_invalid_labels_raise_value_error():
    assert_invalid(
        [
            'metric{a="1",a="2"} 1',
            'metric{a="unterminated} 1',
            'metric{a="x\\t"} 1',
            "metric{a=1} 1",
            'metric{1a="x"} 1',
            'metric{a="x" b="y"} 1',
            'metric{a:b="x"} 1',
        ]
    )


def test_parse_text_skips_comments():
    text = """# HELP http_requests_total Total requests.
# TYPE http_requests_total counter
http_requests_total{code="200"} 1027

http_requests_total{code="500"} 3
"""
    assert parse_text(text) == [
        Sample("http_requests_total", {"code": "200"}, 1027.0),
        Sample("http_requests_total", {"code": "500"}, 3.0),
    ]


def test_parse_text_reports_line_number():
    text = "# TYPE up gauge\nup 1\nup{oops 1\n"
    try:
        parse_text(text)
    except ValueError as error:
        assert str(error).startswith("line 3: ")
    else:
        raise AssertionError("parse_text must raise ValueError")


def test_parse_text_empty():
    assert parse_text("") == []
