"""The JSON API under /api/v1: same permissions and audit trail as the pages."""

from typing import Annotated, Any

from fastapi import APIRouter, Request

from app.deps import requires
from app.models.accounts import User
from app.routes.api import chronology, decisions, families, people, sections
from app.security.permissions import Permission

router = APIRouter(prefix="/api")
v1 = APIRouter(prefix="/v1")
v1.include_router(families.router)
v1.include_router(people.router)
v1.include_router(chronology.router)
v1.include_router(sections.router)
v1.include_router(decisions.router)
router.include_router(v1)


@router.get("/openapi.json", include_in_schema=False)
def openapi_schema(
    request: Request, _: Annotated[User, requires(Permission.SIGNED_IN)]
) -> dict[str, Any]:
    """The OpenAPI description of the JSON API (for signed-in users)."""
    schema: dict[str, Any] = request.app.openapi()
    return schema
