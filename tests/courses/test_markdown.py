"""render_markdown: hostile HTML never survives, code is highlighted, tables render."""

from __future__ import annotations

import pytest

from courses.markdown import render_markdown


@pytest.mark.parametrize(
    ("markdown", "forbidden"),
    [
        ("<script>alert(1)</script>text", "<script"),
        ("<SCRIPT SRC=https://evil.example/x.js></SCRIPT>", "evil.example"),
        ('<img src="x.png" onerror="alert(1)">', "onerror"),
        ('<a href="#" onclick="alert(1)">x</a>', "onclick"),
        ("<svg onload=alert(1)>", "onload"),
        ("[click](javascript:alert(1))", 'href="javascript'),
        ('<a href="javascript:alert(1)">click</a>', "javascript:"),
        ('<a href="JaVaScRiPt:alert(1)">click</a>', "javascript:"),
        ('<a href="data:text/html,<script>alert(1)</script>">x</a>', "data:"),
        ('<iframe src="https://evil.example"></iframe>', "<iframe"),
        ('<object data="x.swf"></object>', "<object"),
        ("<style>body { display: none }</style>", "<style"),
        ('<form action="https://evil.example"><input name="q"></form>', "<form"),
        ('<p style="position: fixed; inset: 0">covered</p>', "style="),
        ('<div style="background: url(javascript:alert(1))">x</div>', "style="),
        ('<span class="x" style="color: red">x</span>', "style="),
    ],
)
def test_hostile_html_is_removed(markdown: str, forbidden: str) -> None:
    html = render_markdown(markdown)

    assert forbidden.lower() not in html.lower()


def test_script_in_a_paragraph_keeps_the_text_around_it() -> None:
    html = render_markdown("before <script>alert(1)</script> after")

    assert "<script" not in html
    assert "alert(1)" not in html
    assert "before" in html
    assert "after" in html


def test_text_align_is_the_only_style_kept_on_table_cells() -> None:
    html = render_markdown(
        '<table><tr><td style="color: red; text-align: center">c</td></tr></table>'
    )

    assert "text-align:center" in html.replace(" ", "")
    assert "color" not in html


def test_safe_links_keep_their_address_and_get_rel() -> None:
    html = render_markdown("[docs](https://go.dev/doc/)")

    assert 'href="https://go.dev/doc/"' in html
    assert 'rel="noopener noreferrer nofollow"' in html


def test_go_code_is_highlighted_with_prefixed_classes() -> None:
    html = render_markdown('```go\nfunc main() {\n\tfmt.Println("hi")\n}\n```')

    assert '<pre tabindex="0"><code class="language-go">' in html
    assert '<span class="hl-kd">func</span>' in html
    assert '<span class="hl-s">"hi"</span>' in html


def test_unknown_language_falls_back_to_escaped_plain_code() -> None:
    html = render_markdown("```nosuchlanguage\n<b>bold</b> & <script>x</script>\n```")

    assert '<pre tabindex="0"><code' in html
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; &lt;script&gt;" in html
    assert "hl-" not in html
    assert "<b>" not in html


def test_code_without_language_is_escaped() -> None:
    html = render_markdown("```\nif a < b && c > d {}\n```")

    assert "a &lt; b &amp;&amp; c &gt; d" in html


def test_tables_render_with_alignment() -> None:
    html = render_markdown("| Name | Count |\n|:-----|------:|\n| pgx  | 5 |\n")

    assert "<table>" in html
    assert '<th style="text-align:left">Name</th>' in html
    assert '<td style="text-align:right">5</td>' in html
    # Wrapped so a wide table scrolls on its own instead of widening the page.
    assert '<div class="table-scroll" tabindex="0"><table>' in html
