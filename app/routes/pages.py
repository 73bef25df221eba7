"""Pages anyone may read: the start page, the accessibility statement, the privacy notice."""

from fastapi import APIRouter, Request, Response

from app.templating import render

router = APIRouter()


@router.get("/", include_in_schema=False)
def start(request: Request) -> Response:
    """The start page: what Homeward is for."""
    return render(request, "views/pages/start.html")


@router.get("/accessibility", include_in_schema=False)
def accessibility(request: Request) -> Response:
    """The accessibility statement."""
    return render(request, "views/pages/accessibility.html")


@router.get("/privacy", include_in_schema=False)
def privacy(request: Request) -> Response:
    """The privacy notice."""
    return render(request, "views/pages/privacy.html")
