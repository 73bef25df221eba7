"""Health check for load balancers and container orchestrators."""

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from app.config import ConfigError
from app.db import check_database
from app.deps import requires
from app.security.permissions import Permission

router = APIRouter()


@router.get("/healthz", include_in_schema=False, dependencies=[requires(Permission.PUBLIC)])
def healthz(request: Request) -> JSONResponse:
    """200 when the database answers, 503 with the reason when it does not. Content versions
    that are refused (their families' pages say the version is unavailable) are listed."""
    try:
        check_database(request.app.state.engine)
    except ConfigError as error:
        return JSONResponse({"status": "unavailable", "message": str(error)}, status_code=503)
    refused = request.app.state.content.refused(request.app.state.engine)
    if refused:
        return JSONResponse({"status": "ok", "refused_content_versions": refused})
    return JSONResponse({"status": "ok"})
