"""The app loads the content registry at creation, survives broken versions, and hands the
registry to routes through `ContentDep`."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.config import Environment, Settings
from app.deps import ContentDep
from app.main import create_app
from tests.content.broken_cases import materialise, tiny_texts


def test_the_app_serves_the_bundled_content(app: FastAPI) -> None:
    assert app.state.content.latest("reunification").version == "1.0.0"


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

    with caplog.at_level(logging.WARNING):
        application = create_app(settings)

    assert application.state.content.versions("tiny") == ("1.0.0",)
    assert "Content tiny/1.1.0 was refused" in caplog.text


def test_routes_receive_the_registry_through_content_dep(app: FastAPI) -> None:
    probe = FastAPI()
    probe.state.content = app.state.content

    @probe.get("/versions")
    def versions(content: ContentDep) -> list[str]:
        return list(content.versions("reunification"))

    with TestClient(probe) as client:
        assert client.get("/versions").json() == ["1.0.0"]


def test_templates_render_guidance_with_the_filter(app: FastAPI) -> None:
    environment = app.state.templates.env
    template = environment.from_string("{{ text | guidance }}")

    html = template.render(text="Look for *evidence*. <b>raw</b>")

    assert html == (
        '<p class="govuk-body">Look for <em>evidence</em>. &lt;b&gt;raw&lt;/b&gt;</p>\n'
    )
