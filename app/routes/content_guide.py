"""The trainer's guide to writing framework content (docs/content.md), served in the app so
that trainers reach it from their pages, with its screenshots."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Annotated, Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import FileResponse
from markdown_it import MarkdownIt
from markupsafe import Markup

from app.config import PROJECT_ROOT
from app.deps import requires
from app.models.accounts import User
from app.security.permissions import Permission
from app.services.errors import NotFound
from app.templating import render

router = APIRouter(prefix="/content/guide", include_in_schema=False)
Trainer = Annotated[User, requires(Permission.CONTENT_MANAGE)]
DOCS = PROJECT_ROOT / "docs"
GUIDE = DOCS / "content.md"
IMAGE = re.compile(r"content-[a-z0-9-]+\.png")
# GOV.UK classes for what the guide's Markdown makes.
CLASSES = {
    "heading_open": {"h1": "govuk-heading-l", "h2": "govuk-heading-m"},
    "paragraph_open": "govuk-body",
    "bullet_list_open": "govuk-list govuk-list--bullet",
    "ordered_list_open": "govuk-list govuk-list--number",
    "table_open": "govuk-table",
    "thead_open": "govuk-table__head",
    "tbody_open": "govuk-table__body",
    "tr_open": "govuk-table__row",
    "th_open": "govuk-table__header",
    "td_open": "govuk-table__cell",
    "link_open": "govuk-link",
}


@lru_cache(maxsize=1)
def guide_html() -> Markup:
    """The guide as HTML: its own HTML is escaped, links to other files of the repository are
    shown as text, and its screenshots are served beside it."""
    parser = MarkdownIt("commonmark", {"html": False}).enable("table")
    tokens = parser.parse(GUIDE.read_text(encoding="utf-8"))
    for index, token in enumerate(tokens):
        _style(token)
        if token.type == "heading_open":
            # The guide's contents link to its headings as GitHub names them.
            words = re.sub(r"[^\w\- ]", "", tokens[index + 1].content.lower())
            token.attrSet("id", words.replace(" ", "-"))
        plain = False
        for child in token.children or ():
            if child.type == "link_open":
                # A link to another file of the repository is not a page of the app: text.
                plain = not str(child.attrGet("href") or "").startswith(("https://", "#"))
            if plain and child.type in ("link_open", "link_close"):
                child.type, child.tag, child.attrs = "plain", "span", {}
                continue
            _style(child)
    return Markup(parser.renderer.render(tokens, parser.options, {}))  # noqa: S704


def _style(token: Any) -> None:
    wanted = CLASSES.get(token.type)
    if isinstance(wanted, dict):
        wanted = wanted.get(token.tag, "govuk-heading-s")
    if wanted:
        token.attrSet("class", wanted)
    if token.type == "image":
        name = str(token.attrGet("src") or "").removeprefix("images/")
        token.attrSet("src", f"/content/guide/images/{name}" if IMAGE.fullmatch(name) else "")
        token.attrSet("class", "govuk-!-width-full")


@router.get("")
def guide(request: Request, _: Trainer) -> Response:
    """How to change a framework in Homeward and how to write each file of a version."""
    return render(request, "views/content/guide.html", {"guide": guide_html()})


@router.get("/images/{picture}")
def image(_: Trainer, picture: str) -> Response:
    """A screenshot of the guide."""
    path = DOCS / "images" / picture
    if not IMAGE.fullmatch(picture) or not path.is_file():
        raise NotFound("The guide has no such picture.")
    return FileResponse(path, media_type="image/png")
