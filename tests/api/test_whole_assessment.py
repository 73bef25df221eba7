"""A whole assessment driven through the JSON API only, with two service accounts' tokens, on
SQLite and PostgreSQL: a family, its people, a chronology imported from CSV, every section of
the assessment answered, factors rated with evidence, the classification submitted and signed
off by a supervisor account, the decisions recorded, and the summary read as JSON, which
holds what the summary page shows."""

from __future__ import annotations

import re
import uuid
from typing import Any

from bs4 import BeautifulSoup
from sqlmodel import Session, col, select

from app.models.accounts import Role
from app.models.audit import AuditAction, AuditEvent
from tests.factories import make_team, make_user, sign_in_as
from tests.support.api import Api, service_account
from tests.support.client import CheckingClient

CSV = (
    "Date,Source,What happened,Themes,Significance,Children\r\n"
    "14/03/2023,Police,Police called to the home after shouting was heard,"
    "Domestic abuse incident,Red,Ann\r\n"
    "02/2024,Substance misuse service,Mother started the recovery programme,"
    "service-progress,Green,\r\n"
    "about 06/2024,Health,Missed health appointments for both children,"
    "Missed health or education,Amber,Ann;Ben\r\n"
)
PRESENT = {"sm-r3", "da-r2", "cn-r1", "sm-p2"}


def value_for(node: dict[str, Any]) -> Any:
    """A plausible answer to a question, from its type and options."""
    kind = node["type"]
    options = node.get("options") or []
    if kind == "short_text":
        return "Recorded in the case notes"
    if kind == "long_text":
        return "Discussed with the family and the professionals involved."
    if kind == "yes_no":
        return True
    if kind == "single_choice":
        return options[0]["id"]
    if kind == "scale":
        return int(options[0]["id"])
    if kind in {"multiple_choice", "factor_checklist"}:
        return [options[0]["id"]]
    if kind == "date":
        return "2025-06-01"
    if kind == "number":
        return 3
    raise AssertionError(f"no answer for a {kind} question")


def walk(nodes: list[dict[str, Any]]) -> Any:
    for node in nodes:
        yield node
        for instance in node.get("instances") or []:
            yield from walk(instance["questions"])


def fill(api: Api, family_id: str, section_id: str) -> dict[str, Any]:
    """Answer every question the section shows, adding an item to each repeating group, until
    nothing more appears; then mark it complete."""
    section = api.check("GET", f"/families/{family_id}/sections/{section_id}")
    answers: dict[str, Any] = {}
    items: dict[str, list[str]] = {}
    for _round in range(6):
        grew = False
        for node in walk(section["questions"]):
            if not node["visible"]:
                continue
            if node["type"] == "repeating" and not node["instances"]:
                items[node["key"]] = ["item1"]
                grew = True
            elif node["instances"] is None and node["key"] not in answers:
                answers[node["key"]] = node["answer"] or value_for(node)
                grew = True
        factors = {
            factor["factor_id"]: {
                "status": "present" if factor["factor_id"] in PRESENT else "absent"
            }
            for factor in section["factors"]
        }
        body = {"version": section["version"], "answers": answers, "items": items}
        section = api.check(
            "PUT", f"/families/{family_id}/sections/{section_id}", {**body, "factors": factors}
        )
        if not grew:
            break
    done = api.check(
        "PUT",
        f"/families/{family_id}/sections/{section_id}",
        {**body, "version": section["version"], "factors": factors, "complete": True},
    )
    assert done["completed"], done["missing"]
    assert done["status"] == "completed"
    return done


def test_a_whole_assessment_through_the_api(client: CheckingClient, db: Session) -> None:
    team = make_team(db)
    worker, worker_token = service_account(db, role=Role.PRACTITIONER, team=team)
    _manager, manager_token = service_account(db, role=Role.SUPERVISOR, team=team)
    db.commit()
    practitioner, supervisor = Api(client, worker_token), Api(client, manager_token)

    family = practitioner.check(
        "POST",
        "/families",
        {
            "reference": "API-ASSESS-1",
            "display_name": "Harper family",
            "allocated_practitioner_id": str(worker.id),
        },
        status=201,
    )
    base = f"/families/{family['id']}"
    for name, born in (("Ann", "2015-02-01"), ("Ben", "2018-07-01")):
        practitioner.check(
            "POST",
            f"{base}/children",
            {
                "name": name,
                "date_of_birth": born,
                "gender": "girl" if name == "Ann" else "boy",
                "legal_status": "s20",
                "date_entered_care": "2024-10-01",
                "entry_reason": "neglect",
                "placement_type": "foster-care",
                "placement_moves": 1,
            },
            status=201,
        )
    for name, relationship in (("Kim Harper", "mother"), ("Dev Harper", "father")):
        practitioner.check(
            "POST",
            f"{base}/adults",
            {
                "name": name,
                "relationship": relationship,
                "parental_responsibility": True,
                "lives_in_household": True,
            },
            status=201,
        )

    # The chronology waits for identification: refused before it, with the reason.
    refused = practitioner.check(
        "POST",
        f"{base}/chronology/imports",
        status=409,
        content=CSV.encode(),
        headers={"Content-Type": "text/csv"},
    )
    assert "waits for ‘Identification’" in str(refused)
    fill(practitioner, family["id"], "identification")
    # The chronology: an upload answers with the preview, a confirmation imports every row.
    preview = practitioner.check(
        "POST",
        f"{base}/chronology/imports",
        status=201,
        content=CSV.encode(),
        headers={"Content-Type": "text/csv"},
    )
    assert preview["can_import"], [row["errors"] for row in preview["rows"]]
    assert [row["line"] for row in preview["rows"]] == [2, 3, 4]
    imported = practitioner.check("POST", f"{base}/chronology/imports/{preview['id']}/confirm")
    assert imported == {"imported": 3}
    entries = practitioner.check("GET", f"{base}/chronology", params={"sort": "oldest"})
    assert entries["total"] == 3
    assert entries["entries"][2]["date_text"] == "About June 2024"
    police = entries["entries"][0]
    practitioner.check("POST", f"{base}/sections/chronology/complete")

    # Every guided section of the assessment, as the task list lists them.
    journey = practitioner.check("GET", f"{base}/journey")
    assessment = next(stage for stage in journey["stages"] if stage["stage_id"] == "assessment")
    guided = [
        task["section_id"]
        for task in assessment["tasks"]
        if task["kind"] in ("questions", "factors")
    ]
    assert len(guided) >= 16
    for section_id in guided:
        fill(practitioner, family["id"], section_id)

    # Evidence for the factors rated present: the police entry, and a report.
    linked = practitioner.check(
        "POST",
        f"{base}/factors/da-r2/evidence/chronology",
        {"entries": [police["id"]]},
        status=201,
    )
    assert linked[0]["chronology_entry_id"] == police["id"]
    for factor in sorted(PRESENT - {"da-r2"}):
        practitioner.check(
            "POST",
            f"{base}/factors/{factor}/evidence/other",
            {
                "kind": "report",
                "on": "2025-05-01",
                "source": "Core group minutes",
                "description": "Agreed at the core group.",
            },
            status=201,
        )
    section = practitioner.check("GET", f"{base}/sections/factors-domestic-abuse")
    assert section["present_without_evidence"] == []

    # The classification: the suggestion with its explanation, submitted at that level.
    view = practitioner.check("GET", f"{base}/classifications/classification-before-plan")
    assert view["missing"] == []
    suggestion = view["suggestion"]
    assert suggestion["lines"]
    submitted = practitioner.check(
        "POST",
        f"{base}/classifications/classification-before-plan",
        {"level": suggestion["level"]},
        status=201,
    )
    assert submitted["status"] == "submitted"
    # The practitioner cannot sign off; the supervisor account signs off with the decision.
    refused = practitioner.call(
        "POST",
        f"{base}/classifications/classification-before-plan/review",
        {"classification_id": submitted["id"], "version": 1, "agrees": True},
    )
    assert refused.status_code == 403
    signed = supervisor.check(
        "POST",
        f"{base}/classifications/classification-before-plan/review",
        {
            "classification_id": submitted["id"],
            "version": submitted["version"],
            "agrees": True,
            "gate_option": "work-towards-return",
            "comments": "Well evidenced; work towards a return.",
        },
    )
    assert signed["status"] == "agreed"
    assert signed["gate_decision_id"]
    gate = practitioner.check("GET", f"{base}/decisions/decision-work-towards-return")
    assert gate["decision"]["option_id"] == "work-towards-return"
    assert gate["decision"]["id"] == signed["gate_decision_id"]

    # The next stage: the agreement, then the supervisor records its sign-off decision.
    for section_id in ("written-agreement", "child-view-of-agreement"):
        fill(practitioner, family["id"], section_id)
    gate = supervisor.check("GET", f"{base}/decisions/agreement-sign-off")
    assert gate["waiting_for"] == []
    # As on the decision page: a manager records this one, and the practitioner has nothing
    # to propose; the practitioner cannot record it either.
    own = {"option": "signed-off", "reason": "Mine.", "basis": gate["basis"]}
    proposed = practitioner.call("POST", f"{base}/decisions/agreement-sign-off/practitioner", own)
    assert proposed.status_code == 422
    assert proposed.json()["errors"][0]["location"] == "body.option"
    recorded = practitioner.call("POST", f"{base}/decisions/agreement-sign-off", own)
    assert recorded.status_code == 403
    decision = supervisor.check(
        "POST",
        f"{base}/decisions/agreement-sign-off",
        {
            "option": "signed-off",
            "reason": "Clear goals, agreed by both parents.",
            "basis": gate["basis"],
        },
        status=201,
    )
    assert decision["effect"] in {"next_stage", "proceeds"}
    again = supervisor.call(
        "POST",
        f"{base}/decisions/agreement-sign-off",
        {"option": "signed-off", "reason": "Twice.", "basis": gate["basis"]},
    )
    assert again.status_code == 409
    decided = practitioner.check("GET", f"{base}/decisions")
    assert {row["gate_id"] for row in decided} == {
        "decision-work-towards-return",
        "agreement-sign-off",
    }

    # The summary as data holds what the page shows, section by section.
    summary = practitioner.check("GET", f"{base}/summary")
    assert summary["reference"] == "API-ASSESS-1"
    person = make_user(db, roles=[Role.SUPERVISOR], team=team)
    sign_in_as(client, db, person)
    page = client.get(f"/families/{family['id']}/summary")
    assert page.status_code == 200
    html = BeautifulSoup(page.text, "html.parser")
    text = " ".join(html.get_text(" ").split())
    shown = [str(h["id"]) for h in html.select("h2[id^=summary-]")]
    assert shown == [f"summary-{section['id']}-heading" for section in summary["sections"]]
    for section in summary["sections"]:
        for block in section["blocks"]:
            for words in _texts(block):
                assert " ".join(words.split()) in text, (section["id"], words)
    for link in ("pdf", "docx"):
        download = practitioner.call("GET", summary["links"][link].removeprefix("/api/v1"))
        assert download.status_code == 200
        assert download.content[:2] in (b"%P", b"PK")
    # Each source once, in the last section; the appendix only when asked for.
    assert [section["part"] for section in summary["sections"]][-1] == "sources"
    assert "appendix" not in {section["part"] for section in summary["sections"]}
    whole = practitioner.check("GET", f"{base}/summary?appendix=true")
    assert [s["id"] for s in whole["sections"] if s["part"] == "appendix"] == [
        "factor-evidence",
        "classification-rules",
    ]
    assert whole["links"]["pdf"].endswith("/summary.pdf?appendix=true")
    download = practitioner.call("GET", whole["links"]["docx"].removeprefix("/api/v1"))
    assert download.status_code == 200
    assert "with-appendix" in download.headers["content-disposition"]

    # Every call the tokens made is in the audit trail, under the service accounts.
    calls = db.exec(
        select(AuditEvent).where(col(AuditEvent.action) == AuditAction.API_CALL.value)
    ).all()
    assert {event.user_id for event in calls} == {worker.id, _manager.id}
    reads = db.exec(
        select(AuditEvent).where(
            col(AuditEvent.family_id) == uuid.UUID(family["id"]),
            col(AuditEvent.user_id) == worker.id,
        )
    ).all()
    assert {event.action for event in reads} >= {"view", "create", "update", "export"}


def _texts(block: dict[str, Any]) -> list[str]:
    """The words of a block the page shows as text (dates and figures as written)."""
    kind = block["type"]
    if kind in ("paragraph", "subheading"):
        return [block["text"]]
    if kind in ("list", "sources"):
        return list(block["items"])
    if kind == "table":
        return [
            cell for row in block["rows"] for cell in row if cell and not re.fullmatch(r"\s*", cell)
        ]
    if kind == "facts":
        return [part for row in block["rows"] for part in row]
    return [block["title"], block["text"]]
