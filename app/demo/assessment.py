"""Demo answers, filled in through the real services as a practitioner would: the words that
make the demo read like a real case, plain defaults for the rest, and evidence for the factors
rated present. Every answer here is invented. app.demo.journey decides which sections each
family has answered."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping
from datetime import timedelta
from typing import Any

from sqlmodel import Session, col, select

from app.content.model import FrameworkContent
from app.content.schema import FactorsSection, QuestionsSection
from app.models.chronology import ChronologyEntry
from app.models.family import Family
from app.services import evidence, questions
from app.services.audit import Actor
from app.timeutil import add_months, london_today

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
    "months-sustained": 7,
    # Dates relative to the day the demo is built, so the demo reads the same whenever it is.
    "change-since": lambda today: add_months(today, -7),
    "last-relapse": None,
    "capacity-summary": "Real change in the last seven months; it needs to last longer.",
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


def _value(
    content: FrameworkContent, node: questions.Node, answers: dict[str, Any]
) -> dict[str, Any]:
    question = node.question
    if question.id in answers or question.id in ANSWERS:
        value = answers[question.id] if question.id in answers else ANSWERS[question.id]
        if callable(value):
            value = value(london_today())
    elif question.type in {"short_text", "long_text"}:
        value = DEFAULT_TEXT if question.type == "long_text" else "Recorded in the case notes"
    elif question.type == "yes_no":
        value = True
    elif question.type in {"single_choice", "scale"}:
        value = questions.choices(content, question)[0][0]
    elif question.type in {"multiple_choice", "factor_checklist"}:
        value = tuple(option[0] for option in questions.choices(content, question)[:2])
    elif question.type == "date":
        value = london_today() - timedelta(days=20)
    elif question.type == "number":
        value = 5
    else:
        return {}
    return questions.form_fields(node.key, question, value)


def fill_section(
    session: Session,
    actor: Actor,
    family: Family,
    content: FrameworkContent,
    section_id: str,
    *,
    complete: bool,
    answers: dict[str, Any] | None = None,
    cycle: int = 0,
    present: Collection[str] = PRESENT,
    items: Mapping[str, list[str]] | None = None,
    by_key: Mapping[str, Any] | None = None,
) -> None:
    """Answer a section the way a practitioner would, one item per repeating group unless
    `items` lists them (by group key); `by_key` (by answer key) and `answers` (by question id)
    override the usual demo answers. The factors in `present` are recorded as present, the
    others as not present."""
    state = questions.section_state(session, family, content, section_id, cycle)
    items = {
        node.key: [uuid.uuid4().hex[:12]]
        for node, _labels in questions.walk(state.nodes)
        if node.question.type == "repeating"
    } | dict(items or {})
    listing = questions.listing_for(session, family, content, state.section, items, cycle)
    nodes = questions.build_tree(state.section.questions, {}, listing)
    form: dict[str, Any] = {f"{questions.ITEMS}{key}": ids for key, ids in items.items()}
    for node, _labels in questions.walk(nodes):
        if node.is_group:
            continue
        if by_key and node.key in by_key:
            form.update(questions.form_fields(node.key, node.question, by_key[node.key]))
        else:
            form.update(_value(content, node, answers or {}))
    for factor in state.factors:
        form[factor.status_name] = "present" if factor.factor_id in present else "absent"
    questions.save_at_stored_version(
        session,
        actor=actor,
        family=family,
        content=content,
        section_id=section_id,
        form=form,
        complete=complete,
        cycle=cycle,
    )


def add_evidence(
    session: Session,
    actor: Actor,
    family: Family,
    content: FrameworkContent,
    present: Collection[str] = PRESENT,
) -> None:
    entries = session.exec(
        select(ChronologyEntry.id)
        .where(col(ChronologyEntry.family_id) == family.id)
        .order_by(col(ChronologyEntry.occurred_on))
        .limit(2)
    ).all()
    for factor_id in sorted(present):
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
