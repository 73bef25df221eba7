"""Screenshots for the user guides: saved into docs/images/ when UPDATE_SCREENSHOTS=1."""

from __future__ import annotations

import os

from playwright.sync_api import Page

from app.config import PROJECT_ROOT

IMAGES = PROJECT_ROOT / "docs" / "images"


def save_screenshot(page: Page, name: str, *, whole: bool = False) -> None:
    """The page as docs/images/<name>.png, only when screenshots are being updated."""
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        page.screenshot(path=str(IMAGES / f"{name}.png"), full_page=whole)
