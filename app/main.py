"""The application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool

from app import admission
from app.config import Environment, Settings, load_settings
from app.db import app_engine
from app.deps import protect_from_csrf
from app.errors import error_response, install_error_handlers
from app.health import HealthCheckMiddleware
from app.memory import GiveBackWhenIdle, keep_what_start_up_made
from app.middleware import (
    RequestIdMiddleware,
    RequestLimitsMiddleware,
    SecurityHeadersMiddleware,
    TestClockMiddleware,
)
from app.routes import (
    account,
    admin,
    agreement,
    api,
    assessment,
    auth,
    chronology,
    content,
    content_changes,
    content_guide,
    deleted_families,
    families,
    family_pages,
    family_records,
    journey,
    pages,
    reports,
    reviews,
    service_accounts,
    sso,
    summary,
)
from app.security import passwords
from app.services.content_store import ContentStore
from app.templating import STATIC_PATH, create_templates

STATIC_DIR = Path(__file__).resolve().parent / "static"


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app from settings (read from the environment when not given)."""
    settings = settings or load_settings()
    queue = admission.Queue(settings.requests_at_once)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Every instance imports the bundled content when it starts: idempotent, by hash.
        await run_in_threadpool(app.state.content.import_bundled, app.state.engine)
        if settings.environment is not Environment.TEST:
            # Not in tests: each test's app would collect the whole test process's objects.
            keep_what_start_up_made()
        yield

    app = FastAPI(
        lifespan=lifespan,
        title="Homeward",
        summary="Return-home (reunification) practice: families, chronologies and assessments.",
        # The schema is served by app.routes.api behind sign-in, like every other page.
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        # No automatic redirect from /path/ to /path: it would re-send a POST to a URL built
        # from the Host header. A trailing slash is simply not found.
        redirect_slashes=False,
        # Every request waits its turn (app.admission), then resolves its session; every
        # state-changing one must carry a CSRF token.
        dependencies=[
            Depends(queue, scope="function"),
            Depends(protect_from_csrf),
        ],
    )
    app.state.settings = settings
    app.state.queue = queue
    app.state.engine = app_engine(settings)
    app.state.templates = create_templates(settings)
    # Every family page's header and task list find their links here.
    app.state.templates.env.globals.update(
        family_links=family_pages.family_links, section_url=family_pages.section_url
    )
    # Content served from the database; a broken version is refused and reported, the good
    # versions still serve.
    app.state.content = ContentStore(settings.content_dir)

    # Added first, so it runs inside the others: its refusals get the headers and request id.
    app.add_middleware(
        RequestLimitsMiddleware,
        max_body_bytes=settings.max_request_bytes,
        respond=error_response,
        uploads=[chronology.UPLOAD, content.UPLOAD, api.chronology.UPLOAD],
    )
    # Answered before routing: never resolves a session or waits for the requests' pool.
    app.add_middleware(HealthCheckMiddleware, database_url=settings.sqlalchemy_url)
    app.add_middleware(SecurityHeadersMiddleware, settings=settings)
    app.add_middleware(RequestIdMiddleware)
    # Outermost: it counts every request, refused or served.
    app.add_middleware(GiveBackWhenIdle)
    if settings.environment is Environment.TEST:
        # Browser tests walk journeys that take months: each request may name its moment.
        app.add_middleware(TestClockMiddleware)
        passwords.use_test_parameters()
    install_error_handlers(app)
    app.mount(STATIC_PATH, StaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(pages.router)
    app.include_router(auth.router)
    app.include_router(account.router)
    if settings.sso_enabled:
        app.include_router(sso.router)
    app.include_router(admin.router)
    app.include_router(service_accounts.router)
    # Before families, whose /families/{family_id} would also match /families/deleted.
    app.include_router(deleted_families.router)
    app.include_router(families.router)
    # Before family_records, whose /{collection}/{record_id}/delete would also match ours.
    app.include_router(chronology.router)
    app.include_router(agreement.router)
    app.include_router(family_records.router)
    app.include_router(assessment.router)
    app.include_router(journey.router)
    app.include_router(reviews.router)
    app.include_router(summary.router)
    app.include_router(reports.router)
    app.include_router(content_guide.router)
    app.include_router(content.router)
    app.include_router(content_changes.router)
    app.include_router(api.router)
    return app
