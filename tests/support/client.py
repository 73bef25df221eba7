"""A test client that checks the HTML of every page it fetches."""

from __future__ import annotations

from typing import Any

import httpx2 as httpx
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient

from tests.support.html import check_html


class CheckingClient(TestClient):
    """TestClient whose HTML responses must parse, have a title, one h1 and unique ids.
    It does not follow redirects unless asked, so tests see each 303."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("follow_redirects", False)
        super().__init__(*args, **kwargs)

    def request(self, method: str, url: httpx.URL | str, **kwargs: Any) -> httpx.Response:  # type: ignore[override]
        response = super().request(method, url, **kwargs)
        if response.headers.get("content-type", "").startswith("text/html") and response.text:
            headers = kwargs.get("headers") or {}
            fragment = (
                headers.get("HX-Request") == "true"
                and headers.get("HX-History-Restore-Request") != "true"
                and "<html" not in response.text[:200].lower()
            )
            check_html(response.text, url=str(response.url), fragment=fragment)
        return response


def soup(response: httpx.Response) -> BeautifulSoup:
    return BeautifulSoup(response.text, "lxml")
