"""Markdown material to safe HTML: CommonMark + tables, code highlighted server-side, sanitised.

Course material is written by instructors but may come from imported files, so
whatever HTML it contains passes an allow-list: no script, style, iframe, event
handler or javascript: URL reaches a page.
"""

from __future__ import annotations

from collections.abc import Sequence

import nh3
from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound

_FORMATTER = HtmlFormatter(nowrap=True, classprefix="hl-")

ALLOWED_TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "code",
    "del",
    "details",
    "div",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "kbd",
    "li",
    "ol",
    "p",
    "pre",
    "s",
    "span",
    "strong",
    "sub",
    "summary",
    "sup",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "ul",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "code": {"class"},
    "pre": {"class"},
    "span": {"class"},
    "div": {"class"},
    "th": {"align", "style"},
    "td": {"align", "style"},
    "ol": {"start"},
}
URL_SCHEMES = {"http", "https", "mailto"}


def _highlight(code: str, lang: str, _attrs: str) -> str:
    try:
        lexer = get_lexer_by_name(lang.strip()) if lang.strip() else None
    except ClassNotFound:
        lexer = None
    if lexer is None:
        return ""  # markdown-it escapes and wraps the plain code itself
    return highlight(code, lexer, _FORMATTER)


_MARKDOWN = MarkdownIt("commonmark", {"highlight": _highlight, "html": True}).enable("table")


# A wide table scrolls inside its own box instead of widening the page on a phone
# (display: block on the table itself would drop its table semantics in some
# screen readers).
def _table_open(
    self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    return '<div class="table-scroll">' + self.renderToken(tokens, idx, options, env)


def _table_close(
    self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    return self.renderToken(tokens, idx, options, env) + "</div>"


_MARKDOWN.add_render_rule("table_open", _table_open)
_MARKDOWN.add_render_rule("table_close", _table_close)


def render_markdown(text: str) -> str:
    """Render Markdown to HTML that is safe to put on a page as is."""
    return _scrollables_focusable(clean_html(_MARKDOWN.render(text)))


def render_markdown_inline(text: str) -> str:
    """One line of Markdown (a choice, an item: `code`, *emphasis*, links) to safe inline
    HTML, without the paragraph around it."""
    return clean_html(_MARKDOWN.renderInline(text))


def _scrollables_focusable(html: str) -> str:
    # A code block or a wide table may scroll sideways: keyboard users must be
    # able to focus it to scroll (WCAG 2.1.1; axe's scrollable-region-focusable).
    # Added after cleaning, as a fixed attribute, so it cannot carry anything in.
    return (
        html.replace("<pre>", '<pre tabindex="0">')
        .replace('<pre class="', '<pre tabindex="0" class="')
        .replace('<div class="table-scroll">', '<div class="table-scroll" tabindex="0">')
    )


def clean_html(html: str) -> str:
    """Author-written HTML reduced to what is safe to put on a page as is."""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
        filter_style_properties={"text-align"},
    )
