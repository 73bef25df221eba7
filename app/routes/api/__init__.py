"""The JSON API under /api/v1: same permissions and audit trail as the pages, for people
signed in with a browser session and for service accounts with API tokens."""

import copy
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Request

from app.deps import API_PREFIX, requires
from app.models.accounts import User
from app.routes.api import (
    chronology,
    chronology_views,
    content,
    decisions,
    families,
    people,
    returns,
    sections,
    summary,
)
from app.security.permissions import Permission

router = APIRouter(prefix="/api")
v1 = APIRouter(prefix="/v1")
# The chronology's views before its entries: /chronology/timeline is not an entry's address.
for module in (
    families,
    people,
    chronology_views,
    chronology,
    sections,
    decisions,
    returns,
    summary,
    content,
):
    v1.include_router(module.router)
router.include_router(v1)

DESCRIPTION = """\
Homeward's JSON API: families and their people, the chronology, the assessment, classifications,
decisions, reviews, returns home and the summary, with the same permissions, audit trail and
optimistic locking as the pages. See `docs/api.md` for a walk-through.

**Signing in.** A service account sends `Authorization: Bearer <token>` (an administrator makes
tokens on the Service accounts page). A browser session works too; its requests that change
anything send the page's CSRF token in `X-CSRF-Token`.

**Errors** are JSON with a `message`; invalid values answer 422 with a message per field in
`errors`, and nothing is saved. Records carry a `version`: a change made from an older version
answers 409 with the record as it is saved now (`current`).
"""


def api_document(app: FastAPI) -> dict[str, Any]:
    """The OpenAPI description of the JSON API (the pages are not part of it)."""
    cached: dict[str, Any] | None = getattr(app.state, "openapi_document", None)
    if cached is not None:
        return cached
    document = copy.deepcopy(app.openapi())
    document["info"] = {
        "title": "Homeward API",
        "version": "1",
        "summary": "Return-home (reunification) practice: every record and decision, as data.",
        "description": DESCRIPTION,
    }
    document["paths"] = {
        path: item for path, item in document["paths"].items() if path.startswith(API_PREFIX)
    }
    components = document.setdefault("components", {})
    components["securitySchemes"] = {
        "token": {
            "type": "http",
            "scheme": "bearer",
            "description": "A service account's API token",
        },
        "session": {
            "type": "apiKey",
            "in": "cookie",
            "name": "homeward_session",
            "description": "A browser session (changes also need the X-CSRF-Token header)",
        },
    }
    document["security"] = [{"token": []}, {"session": []}]
    app.state.openapi_document = document
    return document


@router.get("/openapi.json", include_in_schema=False)
def openapi_schema(
    request: Request, _: Annotated[User, requires(Permission.SIGNED_IN)]
) -> dict[str, Any]:
    """The OpenAPI description of the JSON API (for signed-in users and service accounts)."""
    return api_document(request.app)
