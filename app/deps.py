"""Typed FastAPI dependencies: `Annotated` aliases that routes declare as parameters."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from app.content.registry import ContentRegistry


def get_content(request: Request) -> ContentRegistry:
    """The framework content the app loaded when it was created."""
    registry: ContentRegistry = request.app.state.content
    return registry


ContentDep = Annotated[ContentRegistry, Depends(get_content)]
