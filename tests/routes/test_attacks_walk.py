"""Every route the app registers, attacked the same way: each form field (or JSON field) of
each state-changing route gets a NUL and a huge number, and each page gets out-of-range page
numbers and dates in its query. Validation must answer, never a 500 and never the database
backstop (which means a value reached SQL unchecked). Routes added later are covered too."""

from __future__ import annotations

from typing import Any

import pytest
from bs4 import BeautifulSoup
from fastapi import FastAPI
from fastapi.routing import APIRoute
from pydantic import BaseModel
from sqlmodel import Session

from app.errors import UNSTORABLE
from app.models.accounts import User
from app.security.permissions import Permission
from tests.factories import csrf_token, sign_in_as
from tests.routes import test_access_control
from tests.routes.test_access_control import (
    Route,
    World,
    concrete_path,
    registered_routes,
)
from tests.support.client import CheckingClient

# The access-control tests' fixture: the same family, people and path samples.
world = test_access_control.world

POISON = "Before\x00after"
HUGE = 10**30
# Fields posted when the route has no page of its own to read them from.
FALLBACK_FIELDS = ("name", "reason", "notes", "text", "version", "level", "comments")
# Where each permission's route is exercised from.
PERSONA_FOR = {
    Permission.FAMILY_SUPERVISE: "team supervisor",
    Permission.FAMILY_EXPORT: "team supervisor",
    Permission.TEAM_CASELOAD: "team supervisor",
    Permission.USERS_MANAGE: "admin",
    Permission.AUDIT_READ: "admin",
    Permission.CONTENT_MANAGE: "trainer",
    Permission.REPORTS_READ: "manager",
}
QUERY = {
    "page": str(HUGE),
    "per_page": str(HUGE),
    "from": "9999-12-31",
    "to": "0001-01-01",
    "date_from": "9999-12-31",
    "date_to": "0001-01-01",
    "version": str(HUGE),
    "child": "not-an-id",
    "q": "a" * 500,
    "search": "%_\\",
}


def persona(world: World, route: Route) -> User:
    user = world.personas[PERSONA_FOR.get(route.permission, "allocated practitioner")]
    assert user is not None
    return user


def assert_answered(response: Any, what: str) -> None:
    assert response.status_code < 500, what
    assert UNSTORABLE not in response.text, f"{what}: a value reached the database unchecked"


def page_fields(client: CheckingClient, path: str) -> set[str]:
    """The names of the fields of the page at `path` (the form that posts back to it)."""
    response = client.get(path)
    if response.status_code != 200 or "html" not in response.headers.get("content-type", ""):
        return set(FALLBACK_FIELDS)
    page = BeautifulSoup(response.text, "html.parser")
    names = {
        str(field["name"])
        for form in page.select("main form")
        for field in form.select("input[name], textarea[name], select[name]")
    }
    return (names - {"csrf_token"}) or set(FALLBACK_FIELDS)


def api_body(app: FastAPI, route: Route) -> dict[str, Any]:
    """Every field of the route's JSON body, poisoned by type."""
    for candidate in app.routes:
        if (
            isinstance(candidate, APIRoute)
            and candidate.path == route.path
            and route.method in candidate.methods
        ):
            for param in candidate.dependant.body_params:
                model = param.field_info.annotation
                if isinstance(model, type) and issubclass(model, BaseModel):
                    return {
                        name: HUGE if info.annotation in (int, int | None) else POISON
                        for name, info in model.model_fields.items()
                    }
    return {"version": HUGE, "name": POISON}


def changing_routes(app: FastAPI) -> list[Route]:
    return [route for route in registered_routes(app)[0] if route.method != "GET"]


def test_the_walk_covers_pages_and_the_api(app: FastAPI) -> None:
    routes = changing_routes(app)
    assert any(route.is_api for route in routes)
    assert len([route for route in routes if not route.is_api]) > 10


@pytest.mark.parametrize("body", ["nul", "huge"])
def test_every_state_changing_route_answers_poisoned_fields(
    app: FastAPI, client: CheckingClient, db: Session, world: World, body: str
) -> None:
    for route in changing_routes(app):
        sign_in_as(client, db, persona(world, route))
        path = concrete_path(route, world.samples)
        token = csrf_token(client)
        if route.is_api:
            payload = api_body(app, route)
            if body == "huge":
                payload = {name: HUGE for name in payload}
            response = client.request(
                route.method, path, json=payload, headers={"X-CSRF-Token": token}
            )
        else:
            value = POISON if body == "nul" else str(HUGE)
            fields = page_fields(client, path)
            data = {name: value for name in sorted(fields)} | {"csrf_token": token}
            response = client.request(route.method, path, data=data)
        assert_answered(response, f"{route} with {body} in every field")


def test_every_page_answers_out_of_range_query_values(
    app: FastAPI, client: CheckingClient, db: Session, world: World
) -> None:
    pages = [route for route in registered_routes(app)[0] if route.method == "GET"]
    assert len(pages) > 20
    for route in pages:
        sign_in_as(client, db, persona(world, route))
        response = client.get(concrete_path(route, world.samples), params=QUERY)
        assert_answered(response, f"{route} with out-of-range query values")
