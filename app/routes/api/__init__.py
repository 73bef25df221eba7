"""The JSON API under /api/v1: same permissions and audit trail as the pages."""

from fastapi import APIRouter

from app.routes.api import families

router = APIRouter(prefix="/api/v1")
router.include_router(families.router)
