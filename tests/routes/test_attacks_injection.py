"""HTML and script injection: markup stored in every free-text field of a family's records
(and in people's and teams' names), and markup reflected from the query string, must come
back as text on every page, never as elements, event handlers or htmx attributes."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from bs4 import BeautifulSoup
from fastapi import FastAPI
from sqlalchemy import String, inspect
from sqlmodel import Session

from app.models.accounts import Team, User
from app.models.assessment import FactorEvidence
from app.models.chronology import ChronologyEntry, ChronologyImport
from app.models.family import Adult, Child, EarlierReturn, FamilyContact
from tests.factories import sign_in_as
from tests.routes import test_access_control
from tests.routes.test_access_control import World, concrete_path, registered_routes
from tests.support.client import CheckingClient

world = test_access_control.world

# Tag, attribute, attribute-breaking quotes, htmx and a javascript: URL, in 100 characters.
PAYLOAD = (
    "<script>alert(1)</script><img src=x onerror=alert(2)>\"' hx-get=/evil onclick=alert(3) "
    "javascript:x"
)
SHORT = '"><svg onload=alert(4)>'
# Free text is stored in columns of at least this length; shorter ones hold vocabulary codes.
FREE_TEXT_LENGTH = 100
PERSONAS = ("allocated practitioner", "team supervisor", "admin")


def free_text_columns(record: Any) -> list[str]:
    return [
        column.key
        for column in inspect(type(record)).columns
        if isinstance(column.type, String)
        and (column.type.length or 0) >= FREE_TEXT_LENGTH
        and not column.key.endswith(("_key", "_id", "_hash"))
    ]


def poison(db: Session, world: World) -> None:
    """Markup in every free-text field of the world's records, as if typed and saved."""
    models = {
        "child_id": Child,
        "adult_id": Adult,
        "contact_id": FamilyContact,
        "return_id": EarlierReturn,
        "entry_id": ChronologyEntry,
        "evidence_id": FactorEvidence,
        "import_id": ChronologyImport,
    }
    records: list[Any] = [world.family]
    for sample, model in models.items():
        record = db.get(model, uuid.UUID(world.samples[sample]))
        assert record is not None
        records.append(record)
    for record in records:
        for name in free_text_columns(record):
            setattr(record, name, PAYLOAD)
    world.family.reference = SHORT
    for user in world.personas.values():
        if user is not None:
            user.name = PAYLOAD
    for team in {user.team_id for user in world.personas.values() if user and user.team_id}:
        found = db.get(Team, team)
        assert found is not None
        found.name = PAYLOAD
    target = db.get(User, uuid.UUID(world.samples["user_id"]))
    assert target is not None
    target.name = PAYLOAD
    db.flush()


def injected(html: str) -> list[str]:
    """What in the page came from the payload as markup rather than text."""
    page = BeautifulSoup(html, "html.parser")
    found = []
    for script in page.find_all("script"):
        source = str(script.get("src", ""))
        inline = script.get_text()
        if not source.startswith("/static/") and "alert(" in inline:
            found.append(f"script: {script}")
    for element in page.find_all(True):
        for attribute, value in element.attrs.items():
            text = " ".join(value) if isinstance(value, list) else str(value)
            if attribute.startswith("on"):
                found.append(f"event handler {attribute} on <{element.name}>")
            if attribute.startswith(("hx-", "data-hx-")) and "/evil" in text:
                found.append(f"htmx attribute {attribute}={text}")
            if attribute in {
                "href",
                "src",
                "action",
                "formaction",
            } and text.strip().lower().startswith("javascript:"):
                found.append(f"{attribute}={text}")
        if element.name in {"svg", "img"} and element.get("src") == "x":
            found.append(f"element <{element.name}>")
        if element.name == "svg" and element.get("onload"):
            found.append("svg onload")
    return found


# Both databases give back the text exactly as stored (the API's and the pages' round trips
# are tested on both): escaping it is the templates' work, walked once.
@pytest.mark.on_sqlite_only("escaping stored text is the templates' work: walked on SQLite")
def test_stored_markup_is_text_on_every_page(
    app: FastAPI, client: CheckingClient, db: Session, world: World
) -> None:
    poison(db, world)
    pages = [route for route in registered_routes(app)[0] if route.method == "GET"]
    checked = 0
    for persona in PERSONAS:
        sign_in_as(client, db, world.personas[persona])
        for route in pages:
            response = client.get(concrete_path(route, world.samples))
            if "text/html" not in response.headers.get("content-type", ""):
                continue
            checked += 1
            assert injected(response.text) == [], f"{route} as {persona}"
            assert "<script>alert(1)" not in response.text, f"{route} as {persona}"
    assert checked > 30
    # The payload is shown, as text, where the records are.
    sign_in_as(client, db, world.personas["allocated practitioner"])
    details = client.get(f"/families/{world.family.id}/details")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in details.text


@pytest.mark.on_sqlite_only("escaping the query's text is the templates' work: walked on SQLite")
def test_reflected_markup_in_the_query_is_text(
    app: FastAPI, client: CheckingClient, db: Session, world: World
) -> None:
    pages = [route for route in registered_routes(app)[0] if route.method == "GET"]
    reflected = {
        name: PAYLOAD
        for name in ("search", "q", "next", "stage", "practitioner", "entity_type", "theme")
    }
    for persona in PERSONAS:
        sign_in_as(client, db, world.personas[persona])
        for route in pages:
            response = client.get(concrete_path(route, world.samples), params=reflected)
            if "text/html" in response.headers.get("content-type", ""):
                assert injected(response.text) == [], f"{route} as {persona}"
    client.cookies.clear()
    sign_in = client.get("/sign-in", params={"next": "/families" + PAYLOAD})
    assert injected(sign_in.text) == []
