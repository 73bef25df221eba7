from collections.abc import Iterator

import pytest
from fastapi import FastAPI, Request, Response
from fastapi.testclient import TestClient

from app.templating import render
from tests.support.client import CheckingClient, soup


@pytest.mark.parametrize(
    ("path", "heading"),
    [
        ("/", "Plan and review a child's return home"),
        ("/accessibility", "Accessibility statement for Homeward"),
        ("/privacy", "Privacy notice"),
    ],
)
def test_public_pages_render(client: CheckingClient, path: str, heading: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    page = soup(response)
    assert page.h1 is not None
    assert page.h1.get_text(strip=True) == heading
    assert page.title is not None
    assert page.title.get_text(strip=True).endswith("– Homeward")
    footer_links = {a["href"] for a in page.select("footer a")}
    assert {"/accessibility", "/privacy"} <= footer_links
    assert page.select_one(".govuk-phase-banner") is not None
    assert page.select_one(".govuk-service-navigation__service-name").get_text(strip=True) == (
        "Homeward"
    )


def test_layout_has_no_inline_script_but_the_template_one(client: CheckingClient) -> None:
    page = soup(client.get("/"))
    inline = [script for script in page.find_all("script") if not script.get("src")]
    # GOV.UK Frontend's template adds one fixed inline script (allowed by its hash in the CSP).
    assert len(inline) == 1
    assert "js-enabled" in inline[0].get_text()
    assert not page.select("[style]")


def test_vendored_assets_are_served(client: CheckingClient) -> None:
    page = soup(client.get("/"))
    sources = [tag["src"] for tag in page.find_all("script", src=True)]
    sources += [tag["href"] for tag in page.find_all("link", rel="stylesheet")]
    assert any("htmx-2.0.11.min.js" in source for source in sources)
    for source in sources:
        assert client.get(source).status_code == 200, source
    module = client.get("/static/js/homeward.js").text
    assert "govuk-frontend-6.3.0/govuk-frontend.min.js" in module
    assert (
        client.get("/static/vendor/govuk-frontend-6.3.0/govuk-frontend.min.js").status_code == 200
    )


def test_unknown_page_is_a_govuk_404(client: CheckingClient) -> None:
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert soup(response).h1.get_text(strip=True) == "Page not found"


def test_unknown_api_path_is_json(client: CheckingClient) -> None:
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.json() == {"message": "Page not found."}


def test_wrong_method_gets_a_page_not_a_traceback(client: CheckingClient) -> None:
    response = client.post("/privacy")
    assert response.status_code == 405
    assert soup(response).h1.get_text(strip=True) == "There is a problem"


@pytest.fixture
def app_with_test_routes(app: FastAPI) -> Iterator[FastAPI]:
    """Routes that exist only for these tests: a page with an htmx block, and a crash."""

    @app.get("/test-only/fragment")
    def fragment(request: Request) -> Response:
        return render(request, "errors/other.html", {"message": "Hello"}, htmx_block="main_content")

    @app.get("/test-only/crash")
    def crash() -> Response:
        raise RuntimeError("secret-database-password leaked in a stack trace")

    yield app
    app.router.routes[:] = [
        route
        for route in app.router.routes
        if not getattr(route, "path", "").startswith("/test-only")
    ]


def test_htmx_gets_a_fragment_and_both_vary(
    app_with_test_routes: FastAPI, client: CheckingClient
) -> None:
    full = client.get("/test-only/fragment")
    assert "<html" in full.text
    assert "HX-Request" in full.headers["vary"]
    fragment = client.get("/test-only/fragment", headers={"HX-Request": "true"})
    assert "<html" not in fragment.text
    assert "Hello" in fragment.text
    assert "HX-Request" in fragment.headers["vary"]


def test_server_error_page_shows_no_details(app_with_test_routes: FastAPI) -> None:
    with TestClient(app_with_test_routes, raise_server_exceptions=False) as plain:
        response = plain.get("/test-only/crash")
    assert response.status_code == 500
    assert "secret-database-password" not in response.text
    assert "Traceback" not in response.text
    assert "Sorry, there is a problem with the service" in response.text
    assert response.headers["x-request-id"] in response.text


def test_the_privacy_notice_states_the_retention_schedule(client: CheckingClient) -> None:
    page = soup(client.get("/privacy"))
    section = page.find("h2", string="How long we keep it")
    assert section is not None
    text = section.find_next("ul").get_text(" ", strip=True)
    assert "deleted: 90 days" in text
    assert "7 years" in text


def test_the_accessibility_statement_has_the_sections_the_regulations_require(
    client: CheckingClient,
) -> None:
    """The sections of the GOV.UK model statement for the Public Sector Bodies (Websites and
    Mobile Applications) (No. 2) Accessibility Regulations 2018."""
    page = soup(client.get("/accessibility"))
    headings = {heading.get_text(strip=True) for heading in page.select("h2, h3, h4")}
    assert {
        "How accessible this service is",
        "Feedback and contact information",
        "Reporting accessibility problems with this service",
        "Enforcement procedure",
        "Technical information about this service's accessibility",
        "Compliance status",
        "Non-accessible content",
        "Non-compliance with the accessibility regulations",
        "Disproportionate burden",
        "Content that's not within the scope of the accessibility regulations",
        "What we're doing to improve accessibility",
        "Preparation of this accessibility statement",
    } <= headings
    text = page.get_text(" ", strip=True)
    assert "This statement was prepared on" in text
    assert "This service was last tested on" in text
    assert "compliant with the Web Content Accessibility Guidelines version 2.2" in text
