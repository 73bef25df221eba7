"""A request's trips to the thread pool. FastAPI runs each plain-function dependency there and
back, and each trip cost about 0.25 ms of the event loop's time (docs/performance.md): the
dependencies that wait for nothing are async, and these counts keep them so."""

import anyio.to_thread
import pytest
from sqlmodel import Session, col, select

from app.models.accounts import Role, Team, User
from app.models.audit import AuditAction, AuditEvent
from app.models.family import Family
from tests.factories import make_family, make_team, make_user, sign_in_as
from tests.support.client import CheckingClient


@pytest.fixture
def trips(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The name of each function sent to the thread pool, in order (Starlette sends partials)."""
    sent: list[str] = []
    real = anyio.to_thread.run_sync

    async def counting(function, *args, **kwargs):  # type: ignore[no-untyped-def]
        called = getattr(function, "func", function)
        sent.append(getattr(called, "__name__", type(called).__name__))
        return await real(function, *args, **kwargs)

    monkeypatch.setattr(anyio.to_thread, "run_sync", counting)
    return sent


@pytest.fixture
def team(db: Session) -> Team:
    return make_team(db, "Riverside")


@pytest.fixture
def family(db: Session, team: Team) -> Family:
    return make_family(db, team=team, display_name="Harper family", identified=True)


def test_a_family_page_goes_to_the_thread_pool_only_to_wait_for_the_database(
    client: CheckingClient, db: Session, team: Team, family: Family, trips: list[str]
) -> None:
    sign_in_as(client, db, make_user(db, roles=[Role.PRACTITIONER], team=team))
    trips.clear()

    assert client.get(f"/families/{family.id}").status_code == 200

    # Opening the request's transaction (with the signed-in session and the content version),
    # the family (read and audited), the page itself, and committing.
    assert trips == ["__enter__", "open_page", "_run_sync_endpoint", "__exit__"]


def test_a_refusal_is_still_recorded_from_the_async_permission_check(
    client: CheckingClient, db: Session, team: Team, trips: list[str]
) -> None:
    trainer: User = make_user(db, roles=[Role.TRAINER], team=team)
    sign_in_as(client, db, trainer)

    assert client.get("/admin/users").status_code == 403

    assert "_record_denial" in trips
    refusals = db.exec(
        select(AuditEvent).where(
            col(AuditEvent.user_id) == trainer.id,
            col(AuditEvent.action) == AuditAction.ACCESS_DENIED.value,
        )
    ).all()
    assert [refusal.path for refusal in refusals] == ["/admin/users"]
