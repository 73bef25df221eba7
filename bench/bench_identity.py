"""What signing in and the administrators' identity pages cost (SQLite, in-process HTTP).

Prints the median server time of: a password sign-in (Argon2 dominates), the audit trail
page of 50 entries about families an administrator may not see (their details hidden per
row, with one extra query per page), the role changes page over 2,000 changes (all, and only
those making someone an administrator: none of them), and a family's access log for its
supervisor (details shown)."""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.config import Environment, Settings
from app.db import make_engine, migrate, open_session
from app.main import create_app
from app.models.accounts import Role
from app.models.audit import AuditAction
from app.services import audit, role_changes
from app.services.audit import Actor
from tests.factories import (
    DEFAULT_PASSWORD,
    csrf_token,
    make_family,
    make_team,
    make_user,
    start_session,
)

ROUNDS = 30


def median_ms(action: Callable[[], int], expected: int) -> float:
    times = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        status = action()
        times.append(time.perf_counter() - started)
        assert status == expected, f"expected {expected}, got {status}"
    return statistics.median(times) * 1000


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
        engine = make_engine(url)
        migrate(engine)
        with open_session(engine) as session:
            team = make_team(session, "Bench")
            practitioner = make_user(session, roles=[Role.PRACTITIONER], team=team)
            supervisor = make_user(session, roles=[Role.SUPERVISOR], team=team)
            admin = make_user(session, roles=[Role.ADMIN])
            trainer = make_user(session, roles=[Role.TRAINER], email="plain@bench.test")
            families = [
                make_family(session, team=team, allocated_to=practitioner) for _ in range(10)
            ]
            for number in range(2000):
                family = families[number % 10]
                audit.record(
                    session,
                    Actor(user=practitioner),
                    AuditAction.UPDATE,
                    entity_type="family",
                    entity_id=family.id,
                    family_id=family.id,
                    details=audit.changes({"display_name": "A"}, {"display_name": f"B {number}"}),
                )
                role_changes.record(
                    session,
                    Actor(user=admin),
                    user=trainer,
                    roles_before=frozenset({Role.TRAINER}) if number % 2 else frozenset(),
                    team_before=None,
                )
            admin_token = start_session(session, admin)
            supervisor_token = start_session(session, supervisor)
            session.commit()
        app = create_app(
            Settings(environment=Environment.TEST, database_url=url, data_dir=Path(folder))
        )
        figures: dict[str, float] = {}
        with TestClient(app) as client:

            def password_sign_in() -> int:
                client.cookies.clear()
                client.cookies.set("homeward_presession", "b" * 43)
                token = csrf_token(client)  # type: ignore[arg-type]
                return client.post(
                    "/sign-in",
                    data={
                        "email": "plain@bench.test",
                        "password": DEFAULT_PASSWORD,
                        "csrf_token": token,
                    },
                    follow_redirects=False,
                ).status_code

            figures["password sign-in (and the page giving its CSRF token)"] = median_ms(
                password_sign_in, 303
            )

            client.cookies.clear()
            client.cookies.set("homeward_session", admin_token)
            figures["audit trail, 50 hidden family entries (admin)"] = median_ms(
                lambda: client.get("/admin/audit").status_code, 200
            )
            figures["role changes, page 1 of 2,000"] = median_ms(
                lambda: client.get("/admin/role-changes").status_code, 200
            )
            figures["role changes, only those making an administrator"] = median_ms(
                lambda: client.get("/admin/role-changes?show=administrator").status_code, 200
            )
            client.cookies.clear()
            client.cookies.set("homeward_session", supervisor_token)
            figures["family access log, 50 entries (supervisor)"] = median_ms(
                lambda: client.get(f"/families/{families[0].id}/access-log").status_code, 200
            )
    width = max(len(label) for label in figures)
    for label, milliseconds in figures.items():
        print(f"{label:<{width}}  median {milliseconds:7.2f} ms over {ROUNDS} requests")


if __name__ == "__main__":
    main()
