"""The Jinja environment: our templates plus GOV.UK Frontend's macros, and page rendering."""

from __future__ import annotations

import re
from collections import ChainMap
from collections.abc import Iterable, KeysView, MutableMapping
from dataclasses import dataclass
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
from jinja2.filters import do_indent
from jinja2_fragments.fastapi import Jinja2Blocks
from markupsafe import Markup

from app.config import Settings
from app.content.markdown import render_guidance
from app.models.accounts import User
from app.security.csrf import csrf_token
from app.security.permissions import Permission, has_permission
from app.services.sessions import policy_from, seconds_until_idle_timeout
from app.summary.text import clean, direction, one_line
from app.timeutil import age_in_years, format_date, format_datetime, months_between

SERVICE_NAME = "Homeward"
GOVUK_FRONTEND_VERSION = "6.3.0"
HTMX_VERSION = "2.0.11"
STATIC_PATH = "/static"


class _TemplateGlobals(ChainMap[str, Any]):
    """A template's globals over the environment's. Jinja compares their keys with the caller's
    at every import inside a macro (about 200 on an assessment page, as each GOV.UK macro imports
    the ones it uses); a ChainMap's keys compare one by one in Python, 12 µs each time, where a
    dict's compare in C: the assessment page's template renders 12% quicker."""

    def keys(self) -> KeysView[str]:
        template_own, shared = self.maps
        return super().keys() if template_own else shared.keys()


# Characters HTML forbids (C0 controls other than whitespace, and DEL): a re-rendered form
# must not echo one back, whatever was typed or pasted.
_FORBIDDEN_IN_HTML = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


_DICT_ATTRIBUTES = frozenset(dir(dict))
_MISSING = object()


class _Environment(Environment):
    def make_globals(self, d: MutableMapping[str, Any] | None) -> MutableMapping[str, Any]:
        return _TemplateGlobals({} if d is None else d, self.globals)

    def getattr(self, obj: Any, attribute: str) -> Any:
        """`obj.attribute` in a template: Jinja tries the attribute first and the item after,
        so on a dict each lookup raised and caught an AttributeError, and a missing key a
        KeyError too. The GOV.UK macros look up their parameters (dicts) thousands of times
        a page, most of them absent: a fifth of drawing an assessment page. A plain dict has
        no attributes but its class's, so asking for the item first answers the same."""
        if type(obj) is dict and attribute not in _DICT_ATTRIBUTES:
            value = obj.get(attribute, _MISSING)
            return self.undefined(obj=obj, name=attribute) if value is _MISSING else value
        # Jinja's own, written out here: a call fewer on every other lookup.
        try:
            return getattr(obj, attribute)
        except AttributeError:
            pass
        try:
            return obj[attribute]
        except (TypeError, LookupError, AttributeError):
            return self.undefined(obj=obj, name=attribute)

    @staticmethod
    def concat(pieces: Iterable[str]) -> str:
        """A whole rendered template or block, without the characters HTML forbids, however
        they reached it: a value, a filter's or Python's markup. Jinja joins a whole render
        from a generator (`Template.render`, jinja2_fragments' blocks) and also joins each
        macro's output here, from a list: that part is cleaned with the whole it goes into.
        Cleaning every macro's output scanned a summary four times over (600,000 characters
        for a page of 140,000); cleaning each value as written (Jinja's `finalize`) was worse."""
        joined = "".join(pieces)
        if isinstance(pieces, list):
            return joined
        return _FORBIDDEN_IN_HTML.sub("\ufffd", joined)


def _indent(text: str, width: int | str = 4, first: bool = False, blank: bool = False) -> str:
    """Jinja's `indent`, worked on plain text. Given markup (every GOV.UK macro indents the
    markup of the ones it calls), Jinja's own makes each line markup and joins them one by
    one, checking each for escaping: two fifths of drawing an assessment page's fields. Its
    spaces and newlines are markup as given, never escaped, so the text comes out the same."""
    if isinstance(text, Markup):
        return Markup(do_indent(str(text), width, first, blank))  # noqa: S704 - markup given
    return do_indent(text, width, first, blank)


def create_templates(settings: Settings) -> Jinja2Blocks:
    environment = _Environment(
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
        # Checking every template file's time on each use costs a page several percent; only
        # someone editing templates needs it.
        auto_reload=settings.is_development,
    )
    environment.filters["guidance"] = render_guidance
    environment.globals.update(
        service_name=SERVICE_NAME,
        static_path=STATIC_PATH,
        govuk_frontend_path=f"{STATIC_PATH}/vendor/govuk-frontend-{GOVUK_FRONTEND_VERSION}",
        htmx_version=HTMX_VERSION,
    )
    environment.filters.update(
        datetime=format_datetime,
        date=format_date,
        age=age_in_years,
        months_since=months_between,
        clean_text=clean,
        text_dir=direction,
        one_line=one_line,
        indent=_indent,
    )
    return Jinja2Blocks(env=environment, context_processors=[layout_context])


@dataclass(frozen=True)
class Destination:
    """A place in the service: in the navigation and on the home page of those allowed."""

    permission: Permission
    href: str
    label: str
    description: str


DESTINATIONS: list[Destination] = [
    Destination(
        Permission.FAMILY_VIEW,
        "/families",
        "Families",
        "Your families and your team's: where each stands and what is due next",
    ),
    Destination(
        Permission.REPORTS_READ,
        "/reports",
        "Reports",
        "Returns home, whether children stay home, support, timeliness, risk levels and "
        "reviews, for your team or the whole service",
    ),
    Destination(
        Permission.CONTENT_MANAGE,
        "/content",
        "Framework content",
        "Change the framework's guidance, questions, factors, rules and levels, preview and "
        "compare your changes, and publish them as a new version",
    ),
    Destination(
        Permission.USERS_MANAGE, "/admin/users", "Users", "Add people, change their roles and teams"
    ),
    Destination(Permission.USERS_MANAGE, "/admin/teams", "Teams", "Add and rename teams"),
    Destination(
        Permission.USERS_MANAGE,
        "/admin/service-accounts",
        "Service accounts",
        "Let other council systems use Homeward's API, with tokens you can revoke",
    ),
    Destination(
        Permission.AUDIT_READ, "/admin/audit", "Audit trail", "See who viewed and changed what"
    ),
    Destination(
        Permission.AUDIT_READ,
        "/admin/role-changes",
        "Role changes",
        "See who was given which role or team, and by whom",
    ),
]


def destinations_for(user: User | None) -> list[Destination]:
    return [item for item in DESTINATIONS if user and has_permission(user, item.permission)]


def landing_page(user: User) -> str:
    """Where signing in takes a person: their caseload, the content pages for a trainer, the
    reports for a manager, or the home page (the administrator's) when none is theirs."""
    landings = (
        (Permission.FAMILY_VIEW, "/families"),
        (Permission.CONTENT_MANAGE, "/content"),
        (Permission.REPORTS_READ, "/reports"),
    )
    for permission, href in landings:
        if has_permission(user, permission):
            return href
    return "/home"


# What a page says after an action sent the person to it (`?notice=<key>`): a fixed message
# per key, so nothing in the address reaches the page as text.
NOTICES = {
    "password-changed": "Your password has been changed.",
    "section-saved": "Your answers have been saved. The section is in progress.",
    "section-completed": "The section is marked as complete.",
    "chronology-completed": "The chronology is marked as complete.",
    "submitted": "Submitted for sign-off. It waits for a supervisor's review.",
    "signed-off": "Signed off.",
    "sent-back": "Sent back to the practitioner with your comments.",
    "family-added": "Family added. Now add its children and adults.",
    "family-changed": "The family's details have been saved.",
}


def with_notice(url: str, notice: str) -> str:
    """`url` with the notice its page shows (the key must be one of NOTICES)."""
    assert notice in NOTICES, notice
    return f"{url}{'&' if '?' in url else '?'}notice={notice}"


def layout_context(request: Request) -> dict[str, Any]:
    """What the layout needs on every page: the user, their navigation, the CSRF token and
    when their session will time out."""
    user = getattr(request.state, "user", None)
    path = request.url.path
    navigation = [
        {"href": item.href, "text": item.label, "active": path.startswith(item.href)}
        for item in destinations_for(user)
    ]
    record = getattr(request.state, "session_record", None)
    settings = request.app.state.settings

    return {
        "notice": NOTICES.get(request.query_params.get("notice", "")),
        "draft_preview": getattr(request.state, "preview", None),
        "current_user": user,
        "navigation": navigation,
        "csrf_token": csrf_token(request),
        # How people sign in here (identity provider, passwords), for pages that explain it.
        "settings": settings,
        "session_seconds_left": (
            seconds_until_idle_timeout(record, policy_from(settings)) if record else None
        ),
    }


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
