"""The application factory."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from app.config import Settings, load_settings
from app.content.registry import load_registry
from app.db import make_engine
from app.errors import install_error_handlers
from app.middleware import RequestIdMiddleware
from app.routes import health, pages
from app.templating import STATIC_PATH, create_templates

STATIC_DIR = Path(__file__).resolve().parent / "static"


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app from settings (read from the environment when not given)."""
    settings = settings or load_settings()
    app = FastAPI(
        title="Homeward",
        summary="Return-home (reunification) practice: families, chronologies and assessments.",
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    app.state.settings = settings
    app.state.engine = make_engine(settings.sqlalchemy_url)
    app.state.templates = create_templates(settings)
    app.state.content = load_registry(settings.content_dir)

    app.add_middleware(RequestIdMiddleware)
    install_error_handlers(app)
    app.mount(STATIC_PATH, StaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(health.router)
    app.include_router(pages.router)
    return app
