"""Every template compiles: a syntax error otherwise shows only when someone opens the page."""

from pathlib import Path

import pytest

from app.config import Environment, Settings
from app.templating import create_templates

SETTINGS = Settings(
    environment=Environment.TEST, database_url="sqlite:///:memory:", data_dir=Path("data")
)
ENVIRONMENT = create_templates(SETTINGS).env
NAMES = [
    str(path.relative_to(SETTINGS.templates_dir))
    for path in sorted(Path(SETTINGS.templates_dir).rglob("*.html"))
]


def test_the_templates_are_found() -> None:
    assert "layouts/base.html" in NAMES


@pytest.mark.parametrize("name", NAMES)
def test_template_compiles(name: str) -> None:
    ENVIRONMENT.get_template(name)
