"""The app imports the bundled content when it starts, survives broken versions, and hands
the registry of the database's content to routes through `ContentDep`."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.config import Environment, Settings
from app.db import migrate
from app.deps import ContentDep
from app.main import create_app
from tests.content.broken_cases import materialise, tiny_texts


def test_the_app_serves_the_bundled_content(app: FastAPI, db: Session) -> None:
    registry = app.state.content.registry(db)
    assert registry.versions("reunification") == ("1.0.0", "1.1.0", "1.2.0", "1.3.0", "1.4.0")
    assert registry.latest("reunification").version == "1.4.0"


def test_a_broken_version_does_not_stop_the_app(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    materialise(tiny_texts(), tmp_path / "content" / "tiny" / "1.0.0")
    (tmp_path / "content" / "tiny" / "1.1.0").mkdir()
    settings = Settings(
        environment=Environment.TEST,
        data_dir=tmp_path,
        content_dir=tmp_path / "content",
        database_url=f"sqlite:///{tmp_path / 'db.sqlite3'}",
    )
    application = create_app(settings)
    migrate(application.state.engine)

    @application.get("/versions")
    def versions(content: ContentDep) -> list[str]:
        return list(content.versions("tiny"))

    with caplog.at_level(logging.WARNING), TestClient(application) as client:
        assert client.get("/versions").json() == ["1.0.0"]
        health = client.get("/healthz")

    assert health.status_code == 200
    assert health.json() == {
        "status": "ok",
        "refused_content_versions": ["framework_content/tiny/1.1.0"],
    }

    assert "Content framework_content/tiny/1.1.0 was refused" in caplog.text
    application.state.engine.dispose()


def test_templates_render_guidance_with_the_filter(app: FastAPI) -> None:
    environment = app.state.templates.env
    template = environment.from_string("{{ text | guidance }}")

    html = template.render(text="Look for *evidence*. <b>raw</b>")

    assert html == (
        '<p class="govuk-body">Look for <em>evidence</em>. &lt;b&gt;raw&lt;/b&gt;</p>\n'
    )
