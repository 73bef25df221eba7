"""The Jinja environment: our templates plus GOV.UK Frontend's macros, and page rendering."""

from __future__ import annotations

from typing import Any

from fastapi import Request, Response
from jinja2 import (
    ChainableUndefined,
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    PackageLoader,
    PrefixLoader,
    select_autoescape,
)
from jinja2_fragments.fastapi import Jinja2Blocks

from app.config import Settings
from app.content.markdown import render_guidance

SERVICE_NAME = "Homeward"
GOVUK_FRONTEND_VERSION = "6.3.0"
HTMX_VERSION = "2.0.11"
STATIC_PATH = "/static"


def create_templates(settings: Settings) -> Jinja2Blocks:
    environment = Environment(
        loader=ChoiceLoader(
            [
                FileSystemLoader(settings.templates_dir),
                PrefixLoader(
                    {"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja", "templates")}
                ),
            ]
        ),
        # The GOV.UK macros test optional parameters by chaining attributes on undefined values.
        undefined=ChainableUndefined,
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["guidance"] = render_guidance
    environment.globals.update(
        service_name=SERVICE_NAME,
        static_path=STATIC_PATH,
        govuk_frontend_path=f"{STATIC_PATH}/vendor/govuk-frontend-{GOVUK_FRONTEND_VERSION}",
        htmx_version=HTMX_VERSION,
    )
    return Jinja2Blocks(env=environment)


def is_htmx(request: Request) -> bool:
    """True for an htmx request that wants a fragment (a history restore wants the whole page)."""
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    htmx_block: str | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """Render a page, or only `htmx_block` of it when htmx asks for a fragment."""
    templates: Jinja2Blocks = request.app.state.templates
    block_name = htmx_block if htmx_block and is_htmx(request) else None
    response: Response = templates.TemplateResponse(
        request,
        template,
        context or {},
        status_code=status_code,
        headers=headers,
        block_name=block_name,
    )
    if htmx_block:
        # The same URL answers with a page or a fragment: caches must keep them apart.
        response.headers.append("Vary", "HX-Request")
    return response
