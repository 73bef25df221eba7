"""The safe Markdown subset used for guidance, rendered with GOV.UK Frontend classes.

Allowed: paragraphs, *emphasis*, **strong**, bullet and numbered lists, line breaks and links
to http(s) addresses. Raw HTML is never passed through: the renderer escapes it, and the
content loader refuses guidance that uses HTML or any construct outside the subset, so that a
trainer learns at once rather than seeing stray symbols on a page.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.token import Token
from markupsafe import Markup

ALLOWED_SCHEMES = ("https://", "http://")
_INLINE_RULES = ["emphasis", "link", "newline", "escape", "entity"]

# Constructs a full CommonMark parser recognises that the subset does not allow, with advice.
_REFUSED = {
    "heading_open": "headings are not allowed in guidance; use **bold** text instead",
    "lheading_open": "headings are not allowed in guidance; use **bold** text instead",
    "blockquote_open": "quotation blocks (lines starting with >) are not allowed in guidance",
    "code_block": "indented code blocks are not allowed in guidance; do not indent paragraphs",
    "fence": "code blocks (```) are not allowed in guidance",
    "hr": "horizontal rules (---) are not allowed in guidance",
    "html_block": "HTML is not allowed in guidance; use Markdown such as **bold** or *italic*",
    "html_inline": "HTML is not allowed in guidance; use Markdown such as **bold** or *italic*",
    "image": "images are not allowed in guidance",
    "code_inline": "code spans (`...`) are not allowed in guidance",
}
# Only characters that can start a refused construct make a full check worth running.
_TRIGGERS = ("#", ">", "<", "`", "[", "!", "    ", "\t", "---", "***", "___", "===")


def _is_allowed_link(url: str) -> bool:
    return url.lower().startswith(ALLOWED_SCHEMES)


@lru_cache(maxsize=1)
def _renderer() -> MarkdownIt:
    md = MarkdownIt("zero", {"html": False, "linkify": False, "typographer": False})
    md.enable(["list", *_INLINE_RULES])
    md.validateLink = _is_allowed_link  # type: ignore[method-assign]
    return md


def _accept_any_link(url: str) -> bool:
    # The checker sees every link so that it can name the refused ones.
    return True


@lru_cache(maxsize=1)
def _checker() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": True})
    md.validateLink = _accept_any_link  # type: ignore[method-assign]
    return md


def _walk(tokens: list[Token]) -> Any:
    for token in tokens:
        yield token
        if token.children:
            yield from _walk(token.children)


def markdown_problem(text: str) -> str | None:
    """Why `text` falls outside the guidance subset, in words a trainer can act on, or None."""
    if not any(trigger in text for trigger in _TRIGGERS):
        return None
    for token in _walk(_checker().parse(text)):
        refused = _REFUSED.get(token.type)
        if refused:
            return refused
        if token.type == "link_open":
            href = str(token.attrGet("href") or "")
            if not _is_allowed_link(href):
                return (
                    f'the link "{href[:60]}" is not allowed; links must start with https:// '
                    "or http://"
                )
    return None


_CLASSES = {
    "paragraph_open": "govuk-body",
    "bullet_list_open": "govuk-list govuk-list--bullet",
    "ordered_list_open": "govuk-list govuk-list--number",
    "link_open": "govuk-link",
}


# Guidance is content's own text, the same on every page that shows it: parsing it again for
# each factor on each request cost an assessment page several milliseconds.
@lru_cache(maxsize=4096)
def render_guidance(text: str | None) -> Markup:
    """Render guidance Markdown to safe HTML with GOV.UK classes (empty for no text)."""
    if not text:
        return Markup("")
    md = _renderer()
    tokens = md.parse(text)
    for token in _walk(tokens):
        css_class = _CLASSES.get(token.type)
        if css_class:
            token.attrSet("class", css_class)
        if token.type == "link_open":
            # Guidance sits beside forms: a new tab keeps the practitioner's unsaved answers.
            token.attrSet("rel", "noreferrer noopener")
            token.attrSet("target", "_blank")
    html = md.renderer.render(tokens, md.options, {})
    html = html.replace("</a>", " (opens in new tab)</a>")
    return Markup(html)  # noqa: S704 - markdown-it escapes all text; HTML input is disabled
