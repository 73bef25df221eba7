"""Demo assessments at different stages, saved through the real services: the Harper family
has drafts, one family's whole assessment waits for sign-off, another's was sent back once
and then signed off, and a family further on was signed off first time. Every answer here is
invented."""

from __future__ import annotations

from collections.abc import Collection
from datetime import timedelta
from typing import Any

from sqlmodel import Session, col, select

from app.content.model import FrameworkContent
from app.content.registry import ContentRegistry
from app.content.schema import FactorsSection, QuestionsSection
from app.models.accounts import Role, User, UserRole
from app.models.assessment import AssessmentAnswer, Classification
from app.models.chronology import ChronologyEntry
from app.models.family import Family
from app.models.progress import GateDecision, SectionStatus
from app.services import assessment, classification, evidence, families, progress
from app.services.audit import Actor
from app.timeutil import london_today

# Answers that make the demo read like a real case; anything not listed gets a plain default.
ANSWERS: dict[str, Any] = {
    "return-considered-reason": (
        "The parents have asked for the children to come home. The last two reviews noted "
        "steady progress with the recovery service and regular, warm family time."
    ),
    "identification-route": "parent-request",
    "unplanned-return-risk": False,
    "return-to": "same-parent",
    "assessment-agreed-by": "Grace Okafor, team manager",
    "chronology-author": "The allocated social worker",
    "accepts-concerns": "partly",
    "problem-area": "substance-misuse",
    "readiness-stage": "action",
    "engaged-with-services": True,
    "engagement-detail": "Weekly group at the recovery service, and one-to-one key work.",
    "change-evidence": "behaviour-changed",
    "behaviour-change-detail": "Clear tests each month, confirmed by the recovery service.",
    "months-sustained": 5,
    "capacity-summary": "Real change in the last five months; it needs to last longer.",
    "seen-alone": True,
    "trusted-adult": True,
    "trusted-adult-name": "Their teacher",
    "child-wish": "mixed",
    "views-own-words": "I want to go home but I want Mum to stay well first.",
    "parent-wants-return": "yes-clearly",
    "parent-view": "Wants the children home and says she understands why they came into care.",
}
DEFAULT_TEXT = "Discussed with the family and the professionals involved; see the case notes."
# Factors rated present in the demo (the rest are rated not present or not known).
PRESENT = {"sm-r3", "da-r2", "pc-r2", "pr-r1", "cn-r1", "mo-r2", "sm-p2", "fn-p1", "en-p1"}


def load_demo_assessments(session: Session, registry: ContentRegistry) -> None:
    """Fill in the demo families' assessments, unless they already have answers."""
    plans = {
        "RIV-2026-014": _drafts,
        "RIV-2025-102": _awaiting_sign_off,
        "RIV-2025-088": _signed_off,
        "RIV-2024-051": _signed_off_first_time,
    }
    for reference, plan in plans.items():
        family = session.exec(
            select(Family).where(col(Family.reference_key) == reference.upper())
        ).first()
        if family is None or family.allocated_practitioner_id is None:
            continue
        started = session.exec(
            select(AssessmentAnswer.id).where(col(AssessmentAnswer.family_id) == family.id)
        ).first()
        if started is not None:
            continue
        practitioner = session.get(User, family.allocated_practitioner_id)
        content = families.content_for(registry, family)
        plan(session, _actor(practitioner), family, content)


def _actor(user: User | None) -> Actor:
    return Actor(user=user, request_id="demo-data", path="python -m app demo")


def _supervisor(session: Session, family: Family) -> User | None:
    return session.exec(
        select(User).where(
            col(User.team_id) == family.team_id,
            col(User.id).in_(
                select(UserRole.user_id).where(col(UserRole.role) == Role.SUPERVISOR.value)
            ),
        )
    ).first()


def _value(content: FrameworkContent, node: assessment.Node) -> dict[str, Any]:
    question = node.question
    if question.id in ANSWERS:
        value = ANSWERS[question.id]
    elif question.type in {"short_text", "long_text"}:
        value = DEFAULT_TEXT if question.type == "long_text" else "Recorded in the case notes"
    elif question.type == "yes_no":
        value = True
    elif question.type in {"single_choice", "scale"}:
        value = assessment.choices(content, question)[0][0]
    elif question.type in {"multiple_choice", "factor_checklist"}:
        value = tuple(option[0] for option in assessment.choices(content, question)[:2])
    elif question.type == "date":
        value = london_today() - timedelta(days=20)
    elif question.type == "number":
        value = 5
    else:
        return {}
    return assessment.form_fields(node.key, question, value)


def fill_section(
    session: Session,
    actor: Actor,
    family: Family,
    content: FrameworkContent,
    section_id: str,
    *,
    complete: bool,
    present: Collection[str] = PRESENT,
) -> None:
    """Answer a section the way a practitioner would, one item per repeating group; the
    factors in `present` are recorded as present, the others as not present."""
    state = assessment.section_state(session, family, content, section_id)
    items = {
        node.key: ["demo1"]
        for node, _labels in assessment.walk(state.nodes)
        if node.question.type == "repeating"
    }
    nodes = assessment.build_tree(
        state.section.questions, {}, assessment.people_of(session, family), items
    )
    form: dict[str, Any] = {f"{assessment.ITEMS}{key}": ids for key, ids in items.items()}
    for node, _labels in assessment.walk(nodes):
        if not node.is_group:
            form.update(_value(content, node))
    for factor in state.factors:
        form[factor.status_name] = "present" if factor.factor_id in present else "absent"
    row = assessment.section_row(session, family.id, section_id)
    assessment.save_section(
        session,
        actor=actor,
        family=family,
        content=content,
        section_id=section_id,
        form=form,
        expected_version=row.version if row else 0,
        complete=complete,
    )


def add_evidence(session: Session, actor: Actor, family: Family, content: FrameworkContent) -> None:
    entries = session.exec(
        select(ChronologyEntry.id)
        .where(col(ChronologyEntry.family_id) == family.id)
        .order_by(col(ChronologyEntry.occurred_on))
        .limit(2)
    ).all()
    for factor_id in sorted(PRESENT):
        if entries and factor_id.startswith(("sm-", "da-")):
            evidence.link_entries(
                session,
                actor=actor,
                family=family,
                content=content,
                factor_id=factor_id,
                entry_ids=[str(entry) for entry in entries],
            )
        if factor_id == "pc-r2":
            continue  # left without evidence, so the page and summary show the flag
        evidence.add_other(
            session,
            actor=actor,
            family=family,
            content=content,
            factor_id=factor_id,
            details=evidence.OtherEvidence(
                kind="report" if factor_id.endswith(("1", "2")) else "observation",
                on=london_today() - timedelta(days=45),
                source="Core group meeting notes",
                description="Discussed at the core group; the professionals agreed this applies.",
            ),
        )


def form_sections(content: FrameworkContent) -> list[str]:
    return [
        section.id
        for section in content.stage("assessment").sections
        if isinstance(section, QuestionsSection | FactorsSection)
    ]


def _drafts(session: Session, actor: Actor, family: Family, content: FrameworkContent) -> None:
    fill_section(session, actor, family, content, "identification", complete=True)
    fill_section(session, actor, family, content, "factors-substance-misuse", complete=False)


def _whole(session: Session, actor: Actor, family: Family, content: FrameworkContent) -> None:
    for section_id in form_sections(content):
        fill_section(session, actor, family, content, section_id, complete=True)
    add_evidence(session, actor, family, content)


def _awaiting_sign_off(
    session: Session, actor: Actor, family: Family, content: FrameworkContent
) -> None:
    _whole(session, actor, family, content)
    suggestion = classification.suggest(session, family=family, content=content)
    _submission(session, actor, family, content, suggestion.level_id, "")


def _submission(
    session: Session,
    actor: Actor,
    family: Family,
    content: FrameworkContent,
    level: str,
    rationale: str,
) -> Classification:
    """A submission, made whatever the demo's section statuses say (they are set directly)."""
    suggestion = classification.suggest(session, family=family, content=content)
    assert actor.user is not None
    row = Classification(
        family_id=family.id,
        section_id="classification-before-plan",
        timepoint_id="before-plan",
        content_version=content.version,
        content_hash=content.content_hash,
        suggested_level=suggestion.level_id,
        explanation=suggestion.explanation,
        practitioner_level=level,
        rationale=rationale or None,
        submitted_by_id=actor.user.id,
        status="submitted",
    )
    session.add(row)
    session.commit()
    return row


def _signed_off(session: Session, actor: Actor, family: Family, content: FrameworkContent) -> None:
    """Sent back once, then signed off."""
    _sign_off(session, actor, family, content, disagree_first=True)


def _signed_off_first_time(
    session: Session, actor: Actor, family: Family, content: FrameworkContent
) -> None:
    _sign_off(session, actor, family, content, disagree_first=False)


def _sign_off(
    session: Session,
    actor: Actor,
    family: Family,
    content: FrameworkContent,
    *,
    disagree_first: bool,
) -> None:
    _whole(session, actor, family, content)
    supervisor = _supervisor(session, family)
    if supervisor is None:
        return
    if disagree_first:
        first = _submission(session, actor, family, content, "low", "The parents have done well.")
        first.status = "disagreed"
        first.supervisor_agrees = False
        first.supervisor_level = "medium"
        first.supervisor_comments = "The change is recent: weigh the relapse two years ago."
        first.reviewed_by_id = supervisor.id
        first.reviewed_at = first.submitted_at
        first.version = 2
        session.add(first)
    second = _submission(
        session, actor, family, content, "medium", "Change is real but recent; relapse last time."
    )
    decision = session.exec(
        select(GateDecision).where(
            col(GateDecision.family_id) == family.id,
            col(GateDecision.gate_id) == "decision-work-towards-return",
        )
    ).first()
    second.status = "agreed"
    second.supervisor_agrees = True
    second.supervisor_level = "medium"
    second.supervisor_comments = decision.rationale if decision else "Agreed."
    second.reviewed_by_id = supervisor.id
    second.reviewed_at = second.submitted_at
    second.gate_id = "decision-work-towards-return" if decision else None
    second.gate_option_id = decision.option_id if decision else None
    second.gate_decision_id = decision.id if decision else None
    second.version = 2
    session.add(second)
    assessment.freeze_sections(
        session,
        actor=_actor(supervisor),
        family=family,
        content=content,
        section_ids=form_sections(content),
        classification_id=second.id,
    )
    session.commit()
    for section_id in (*form_sections(content), "classification-before-plan"):
        progress.set_section_status(
            session,
            actor=_actor(supervisor),
            family=family,
            content=content,
            section_id=section_id,
            status=SectionStatus.SIGNED_OFF,
        )
