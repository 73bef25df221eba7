"""The demo data, loaded once per database for this module: assessments in draft, one
waiting for sign-off, one signed off after a disagreement, and every family at its own point
of the journey. (That loading it twice adds nothing is tested through the command line.)"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
import textstat
from sqlalchemy import Engine
from sqlmodel import Session, col, func, select

from app.config import PLACEHOLDER_SECRET_KEY
from app.demo import load_demo
from app.demo.service_accounts import DEMO_SERVICE_ACCOUNT
from app.models.accounts import User
from app.models.assessment import Classification, SectionRevision
from app.models.family import Family
from app.models.journey import FamilyStatus
from app.security.permissions import FamilyAction, can_see_family, family_permits
from app.services import agreement, api_tokens, progress, reports
from app.services.reports.scope import ALL_TEAMS, Scope
from app.services.review_pack import review_history
from app.services.trends import trends
from app.summary.document import BulletList, FactList, Paragraph, Subheading, SummaryDocument
from app.summary.family_copy import build_family_copy
from app.timeutil import london_today
from tests.factories import CONTENT


@pytest.fixture(scope="module")
def demo(engine: Engine) -> Iterator[Session]:
    """A session on the demo data, loaded once (the demo takes tens of seconds) and rolled
    back after the module's read-only checks."""
    connection = engine.connect()
    transaction = connection.begin()
    session = Session(bind=connection, join_transaction_mode="create_savepoint")
    load_demo(session, CONTENT, secret_key=PLACEHOLDER_SECRET_KEY)
    session.flush()
    yield session
    session.close()
    transaction.rollback()
    connection.close()


def family(db: Session, reference: str) -> Family:
    return db.exec(select(Family).where(col(Family.reference_key) == reference)).one()


def test_demo_families_show_assessments_at_different_stages(demo: Session) -> None:
    db = demo
    drafts = family(db, "RIV-2026-014")
    statuses = progress.section_statuses(db, drafts.id)
    assert statuses["identification"].value == "completed"
    assert statuses["factors-substance-misuse"].value == "in_progress"

    waiting = family(db, "RIV-2025-102")
    (submitted,) = db.exec(
        select(Classification).where(col(Classification.family_id) == waiting.id)
    )
    assert submitted.status == "submitted"
    # A classification records the hash of the content it was made under, as answers do.
    made_under = CONTENT.get(waiting.framework_id, submitted.content_version)
    assert submitted.content_hash == made_under.content_hash
    assert submitted.explanation["lines"]

    signed = family(db, "RIV-2025-088")
    rounds = db.exec(
        select(Classification)
        .where(col(Classification.family_id) == signed.id)
        .order_by(col(Classification.submitted_at))
    ).all()
    assert [row.status for row in rounds] == ["disagreed", "agreed"]
    assert rounds[1].gate_decision_id is not None
    frozen = db.exec(
        select(func.count())
        .select_from(SectionRevision)
        .where(col(SectionRevision.family_id) == signed.id)
    ).one()
    assert frozen >= 17
    assert progress.section_statuses(db, signed.id)["identification"].value == "signed_off"

    # A family further on was signed off first time.
    later = family(db, "RIV-2024-051")
    (row,) = db.exec(
        select(Classification).where(
            col(Classification.family_id) == later.id,
            col(Classification.section_id) == "classification-before-plan",
        )
    )
    assert row.status == "agreed"
    assert row.supervisor_level == row.practitioner_level


def test_the_demo_shows_a_level_lowered_by_lasting_change_and_the_new_cautions(
    demo: Session,
) -> None:
    db = demo
    okoro = family(db, "RIV-2025-102")
    (lowered,) = db.exec(select(Classification).where(col(Classification.family_id) == okoro.id))
    # The rules lower medium to low (lasting change, confirmed, with support); the
    # practitioner keeps medium, with reasons.
    assert (lowered.suggested_level, lowered.practitioner_level) == ("low", "medium")
    assert lowered.explanation["stepped_down"] is True
    assert lowered.explanation["raised_level"] == "medium"
    assert lowered.rationale

    patel = family(db, "RIV-2025-131")
    (row,) = db.exec(select(Classification).where(col(Classification.family_id) == patel.id))
    cautions = {item["id"] for item in row.explanation["cautions"]}
    assert {
        "new-adult-not-assessed",
        "adult-with-record-of-violence",
        "abuser-back-in-contact",
        "another-child-harmed-or-removed",
    } <= cautions
    assert row.suggested_level == "high"


def test_every_family_of_the_demo_is_at_its_point_of_the_journey(demo: Session) -> None:
    db = demo
    found = {
        row.reference: row
        for row in db.exec(select(Family).where(col(Family.reference).like("RIV-%"))).all()
    }
    assert found["RIV-2025-131"].status == FamilyStatus.PLAN_ENDED
    assert found["RIV-2023-019"].status == FamilyStatus.CLOSED
    assert found["RIV-2024-051"].awaiting_sign_off
    assert found["RIV-2024-077"].current_cycle == 3
    assert found["RIV-2025-088"].current_stage_id == "goal-setting"


def test_the_demo_trainer_has_a_draft_in_progress_made_through_the_forms(demo: Session) -> None:
    from app.demo.content import DRAFT_TITLE, TRAINER_EMAIL
    from app.models.audit import AuditEvent
    from app.models.content import ContentStatus, ContentVersion
    from app.services import accounts, content_studio

    draft = demo.exec(select(ContentVersion).where(col(ContentVersion.title) == DRAFT_TITLE)).one()
    trainer = accounts.find_user_by_email(demo, TRAINER_EMAIL)
    assert trainer is not None
    assert (draft.status, draft.created_by_id) == (ContentStatus.DRAFT.value, trainer.id)
    content = content_studio.check_draft(demo, draft).content
    assert content is not None  # ready to preview, compare, weigh and publish
    assert content.factors["sm-r1"].factor.text.startswith("The parent's use of alcohol or drugs")
    assert content.questions["interpreter-needed"].section_id == "identification"
    changes = demo.exec(
        select(AuditEvent).where(
            col(AuditEvent.user_id) == trainer.id, col(AuditEvent.entity_type) == "content_file"
        )
    ).all()
    assert len(changes) == 2


def test_the_demo_service_account_reads_its_team_with_one_token_whose_secret_is_kept_nowhere(
    demo: Session,
) -> None:
    db = demo
    listed = DEMO_SERVICE_ACCOUNT
    (account,) = [item for item in api_tokens.list_accounts(db) if item.name == listed.name]
    assert account.roles == {listed.role}
    assert account.team is not None
    assert account.team.name == listed.team
    assert not account.password_hash
    (token,) = api_tokens.tokens_of(db, account)
    assert api_tokens.state_of(token) is api_tokens.TokenState.ACTIVE
    assert token.name == listed.token_name
    assert token.expires_at is not None
    # Only the hash and the first characters are kept, as for any token.
    assert len(token.token_hash) == 64
    assert token.prefix.startswith(api_tokens.TOKEN_PREFIX)
    # Through the one permission rule: it reads its team's families and changes none of them.
    families = db.exec(select(Family).where(col(Family.deleted_at).is_(None))).all()
    seen = [row for row in families if can_see_family(account, row)]
    assert seen
    assert {row.team_id for row in seen} == {account.team_id}
    assert not any(family_permits(account, row, FamilyAction.EDIT) for row in seen)


# The family's copy of an agreement reads as plain English: Flesch reading ease of 60 or more
# (docs/guide-goal-setting.md states the target).
READING_EASE_TARGET = 60


def _copy_text(doc: SummaryDocument) -> str:
    """The copy's words as a reader meets them, each heading, line and list item a sentence."""
    parts: list[str] = [doc.title]
    for section in doc.sections:
        parts.append(section.title)
        for block in section.blocks:
            if isinstance(block, Paragraph | Subheading):
                parts.append(block.text)
            elif isinstance(block, BulletList):
                parts += block.items
            elif isinstance(block, FactList):
                parts += [f"{label}: {value}" for label, value in block.rows]
    return " ".join(part if part.rstrip()[-1:] in ".:!?" else part + "." for part in parts)


def test_the_late_stage_familys_agreement_support_plan_and_plain_copies(demo: Session) -> None:
    db = demo
    walsh = family(db, "RIV-2024-077")
    content = CONTENT.get(walsh.framework_id, walsh.framework_version)
    found = agreement.read(db, family=walsh, content=content)
    (sinead,) = found.parents
    assert [goal.title for goal in sinead.goals] == [
        "Stay off drink and drugs",
        "Keep a calm evening routine",
        "Get the children to school every day",
    ]
    assert sinead.signed
    assert sinead.agreed_by.startswith("Sinead Walsh, ")
    assert [service.provider for service in found.services] == [
        "Northside Recovery Service",
        "Riverside Family Centre",
        "Early Help team",
    ]
    assert [(gap.goal.number, gap.text[:10]) for gap in found.gaps] == [
        (2, "Every serv"),
        (3, "No service"),
    ]
    scores = {}
    for reference in (
        "RIV-2025-088",
        "RIV-2024-051",
        "RIV-2024-077",
        "RIV-2023-019",
        "RIV-2023-064",
    ):
        subject = family(db, reference)
        subject_content = CONTENT.get(subject.framework_id, subject.framework_version)
        user = db.get(User, subject.allocated_practitioner_id)
        assert user is not None
        for parent in agreement.read(db, family=subject, content=subject_content).parents:
            copy = build_family_copy(
                db,
                family=subject,
                content=subject_content,
                parent_id=parent.parent_id,
                produced_by=user,
            )
            scores[(reference, parent.name)] = textstat.flesch_reading_ease(_copy_text(copy))
    assert len(scores) >= 6, scores
    assert min(scores.values()) >= READING_EASE_TARGET, scores


def test_a_late_stage_demo_family_has_reviews_that_show_a_trend(demo: Session) -> None:
    walsh = family(demo, "RIV-2024-077")
    content = CONTENT.get(walsh.framework_id, walsh.framework_version)
    history = review_history(demo, family=walsh, content=content, today=london_today())
    first, second = history.reviews[:2]
    assert {goal.light.label for goal in first.goals if goal.light} == {"Some progress"}
    assert {goal.light.label for goal in second.goals if goal.light} == {"Met, or on track"}
    assert any("missed a parenting group" in entry.what_happened for entry in first.entries)
    assert any("Ella asked" in entry.what_happened for entry in second.entries)
    assert first.decision is not None
    assert first.classification is not None
    assert history.services
    charts = trends(history, content)
    assert charts.reviews[:2] == (1, 2)
    assert charts.goals
    assert charts.domains
    assert charts.level


def test_the_demo_holds_reviews_on_time_late_and_leaves_one_overdue(demo: Session) -> None:
    """A manager opening the reviews report on the demo sees a service's usual mix."""
    today = london_today()
    scope = Scope("reunification", None, ALL_TEAMS, today - timedelta(days=3 * 365), today, today)
    report = reports.find("reviews").build(demo, scope, CONTENT.latest("reunification"))
    total = next(row for row in report.tables[0].rows if row.total).values
    assert {key: total[key] for key in ("on_time", "late", "overdue")} == {
        "on_time": 5,
        "late": 4,
        "overdue": 1,
    }
