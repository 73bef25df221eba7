"""Pages anyone may read: the start page, the accessibility statement, the privacy notice."""

from typing import Annotated

from fastapi import APIRouter, Request, Response

from app.deps import requires
from app.models.accounts import User
from app.security.permissions import Permission
from app.templating import destinations_for, render

router = APIRouter()
public = [requires(Permission.PUBLIC)]


@router.get("/", include_in_schema=False, dependencies=public)
def start(request: Request) -> Response:
    """The start page: what Homeward is for."""
    return render(request, "views/pages/start.html")


@router.get("/accessibility", include_in_schema=False, dependencies=public)
def accessibility(request: Request) -> Response:
    """The accessibility statement."""
    return render(request, "views/pages/accessibility.html")


@router.get("/privacy", include_in_schema=False, dependencies=public)
def privacy(request: Request) -> Response:
    """The privacy notice."""
    return render(request, "views/pages/privacy.html", {"settings": request.app.state.settings})


@router.get("/home", include_in_schema=False)
def home(
    request: Request,
    user: Annotated[User, requires(Permission.SIGNED_IN)],
) -> Response:
    """The signed-in person's home page: where they can go, by role."""
    return render(
        request,
        "views/home/index.html",
        {
            "links": [
                {"href": d.href, "text": d.label, "description": d.description}
                for d in destinations_for(user)
            ],
            "roles": sorted(role.label for role in user.roles),
        },
    )
