"""Risk classification at each timepoint the content defines: the rules engine's suggestion
with its explanation, the practitioner's level and rationale, and the supervisor's review and
decision at the gate that follows.

The tool suggests; the practitioner judges; the supervisor signs off. Every submission is a new
row, so the suggested, practitioner's and supervisor's levels of every round are kept.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Row, update
from sqlalchemy import select as select_rows
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.content.model import FrameworkContent
from app.content.rules import Finding, Reason, RulesResult, evaluate
from app.content.schema import ClassificationSection, GateSection
from app.db import atomic
from app.models.accounts import Role
from app.models.assessment import Classification, ClassificationStatus
from app.models.audit import AuditAction
from app.models.base import utcnow
from app.models.chronology import ChronologyEntry, ChronologyEntryTheme
from app.models.family import Family
from app.models.journey import FamilyStatus
from app.models.progress import SectionProgress, SectionStatus
from app.services import access, audit, decisions, progress, questions
from app.services.errors import Conflict, Forbidden, NotFound
from app.services.evidence import EvidenceItem, evidence_for
from app.services.records import Problems
from app.services.snapshot import build_family_snapshot
from app.timeutil import describe_date, london_today

ENTRIES_PER_REASON = 5
RATIONALE_MAX = 10000
ALREADY_SUBMITTED = (
    "This classification has already been submitted and is waiting for sign-off; nothing was "
    "changed."
)
STALE_CLASSIFICATION = (
    "Someone else submitted or reviewed this classification after you opened the page; nothing "
    "was changed. Check the page as it is now, then try again."
)
ALREADY_REVIEWED = (
    "This classification has already been reviewed, or was replaced by a newer submission; "
    "nothing was changed."
)


def classification_section(content: FrameworkContent, section_id: str) -> ClassificationSection:
    info = content.sections.get(section_id)
    if info is None or not isinstance(info.section, ClassificationSection):
        raise NotFound("This framework version has no such classification.")
    return info.section


def gate_after(content: FrameworkContent, section_id: str) -> GateSection | None:
    """The decision gate that waits for this classification."""
    for info in content.sections.values():
        if isinstance(info.section, GateSection) and section_id in info.section.requires:
            return info.section
    return None


def classification_for_gate(content: FrameworkContent, gate_id: str) -> str | None:
    """The classification section a gate waits for, if any."""
    info = content.sections.get(gate_id)
    if info is None or not isinstance(info.section, GateSection):
        return None
    for required in info.section.requires:
        if isinstance(content.sections[required].section, ClassificationSection):
            return required
    return None


# --- the suggestion -------------------------------------------------------------------------


@dataclass(frozen=True)
class Suggestion:
    result: RulesResult
    explanation: dict[str, Any]

    @property
    def level_id(self) -> str:
        return self.result.suggested_level.id


def suggest(
    session: Session,
    *,
    family: Family,
    content: FrameworkContent,
    as_of: date | None = None,
    cycle: int | None = None,
    timepoint: str | None = None,
) -> Suggestion:
    """The level the content's rules suggest for the family now (with the answers of review
    `cycle`, the review under way by default), and why; at a classification `timepoint`, with
    only the scored tools that apply there."""
    as_of = as_of or london_today()
    snapshot = build_family_snapshot(
        session, family=family, content=content, as_of=as_of, cycle=cycle
    )
    result = evaluate(content, snapshot, timepoint)
    return Suggestion(result=result, explanation=explain(session, family, content, result))


def explain(
    session: Session, family: Family, content: FrameworkContent, result: RulesResult
) -> dict[str, Any]:
    """The result as JSON: each fired rule with the answers, factors (with their evidence) and
    chronology entries behind it, and its sources."""
    evidence: dict[str, list[dict[str, Any]]] = {}
    for item in evidence_for(session, family.id):
        evidence.setdefault(item.factor_id, []).append(evidence_json(item))
    theme_ids = {theme.id for theme in content.chronology.themes}
    return explanation_json(
        result,
        evidence=evidence,
        entries=lambda ref: _entries_for(session, family.id, ref, is_theme=ref in theme_ids),
    )


def evidence_json(item: EvidenceItem) -> dict[str, Any]:
    return {
        "kind": item.kind_label,
        "on": item.on_text,
        "source": item.source,
        "description": item.description[:300],
    }


def entry_json(entry: ChronologyEntry | Row[Any]) -> dict[str, Any]:
    """An entry (or a row of the columns `_entries_for` reads) as an explanation shows it."""
    return {
        "id": str(entry.id),
        "on": describe_date(entry.occurred_on, entry.date_precision),
        "source": entry.source_detail or entry.source_id,
        "what_happened": entry.what_happened[:300],
    }


def explanation_json(
    result: RulesResult,
    *,
    evidence: Mapping[str, list[dict[str, Any]]],
    entries: Callable[[str], list[dict[str, Any]]],
) -> dict[str, Any]:
    """The JSON of `explain`, from the evidence per factor and the most recent entries of a
    theme or significance grade (at most ENTRIES_PER_REASON, newest first), however they were
    found."""
    entry_cache: dict[str, list[dict[str, Any]]] = {}

    def entries_of(ref: str) -> list[dict[str, Any]]:
        if ref not in entry_cache:
            entry_cache[ref] = entries(ref)
        return entry_cache[ref]

    def reason(item: Reason) -> dict[str, Any]:
        data: dict[str, Any] = {"kind": item.kind, "ref": item.ref, "text": item.text}
        if item.kind == "factor":
            data["evidence"] = evidence.get(item.ref, [])
        elif item.kind == "chronology" and item.ref:
            data["entries"] = entries_of(item.ref)
        return data

    def finding(item: Finding) -> dict[str, Any]:
        return {
            "id": item.rule_id,
            "kind": item.kind,
            "title": item.title,
            "text": item.text,
            "advice": item.advice,
            "level": item.level.id if item.level else None,
            "level_label": item.level.label if item.level else None,
            "steps": item.steps,
            "firm": item.firm,
            "reasons": [reason(part) for part in item.reasons],
            "sources": [
                {"short": source.short, "citation": source.citation, "url": source.url}
                for source in item.sources
            ],
        }

    return {
        "as_of": result.as_of.isoformat(),
        "content_version": result.content_key[1],
        "level": result.suggested_level.id,
        "level_label": result.suggested_level.label,
        "default_level": result.default_level.id,
        "set_by": list(result.level_set_by),
        "set_by_titles": list(result.level_set_by_titles),
        "minimum_levels": [finding(item) for item in result.minimum_levels],
        "raised_level": (result.raised_level or result.suggested_level).id,
        "raised_level_label": (result.raised_level or result.suggested_level).label,
        "stepped_down": result.stepped_down,
        "step_downs": [finding(item) for item in result.step_downs],
        "held_by_titles": [item.title for item in result.held],
        "lapsed": [finding(item) for item in result.lapsed],
        "cautions": [finding(item) for item in result.cautions],
        "tools": [
            {
                "id": tool.tool_id,
                "title": tool.title,
                "headline": tool.headline(),
                "band_text": tool.band_text(),
                "completed": tool.completed,
                "unanswered": list(tool.unanswered),
                "score": tool.score,
                "band_label": tool.band_label,
                "level": tool.level.id if tool.level else None,
                "discretionary_levels": tool.discretionary_levels,
                "items": [
                    {
                        "label": item.label,
                        "option": item.option,
                        "points": item.points,
                        "line": line,
                        "reasons": [reason(part) for part in item.reasons],
                    }
                    for item, line in zip(tool.items, tool.item_lines(), strict=True)
                ],
                "overrides": [finding(item) for item in tool.overrides],
            }
            for tool in result.tools
        ],
        "lines": list(result.explanation()),
    }


def _entries_for(
    session: Session, family_id: uuid.UUID, ref: str, *, is_theme: bool
) -> list[dict[str, Any]]:
    # The columns shown, not whole entries (a page explains several reasons).
    query = select_rows(
        col(ChronologyEntry.id),
        col(ChronologyEntry.occurred_on),
        col(ChronologyEntry.date_precision),
        col(ChronologyEntry.source_detail),
        col(ChronologyEntry.source_id),
        col(ChronologyEntry.what_happened),
    ).where(col(ChronologyEntry.family_id) == family_id, col(ChronologyEntry.deleted_at).is_(None))
    if is_theme:
        query = query.join(
            ChronologyEntryTheme, col(ChronologyEntryTheme.entry_id) == col(ChronologyEntry.id)
        ).where(col(ChronologyEntryTheme.theme_id) == ref)
    else:
        query = query.where(col(ChronologyEntry.significance) == ref)
    rows = session.execute(
        query.order_by(col(ChronologyEntry.occurred_on).desc()).limit(ENTRIES_PER_REASON)
    ).all()
    return [entry_json(row) for row in rows]


# --- history --------------------------------------------------------------------------------


def history(
    session: Session,
    family_id: uuid.UUID,
    section_id: str | None = None,
    cycle: int | None = None,
) -> list[Classification]:
    """Every submission for the family (or one classification section, in one review cycle),
    newest first."""
    query = select(Classification).where(col(Classification.family_id) == family_id)
    if section_id is not None:
        query = query.where(col(Classification.section_id) == section_id)
    if cycle is not None:
        query = query.where(col(Classification.cycle) == cycle)
    return list(
        session.exec(
            query.order_by(col(Classification.submitted_at).desc(), col(Classification.id))
        ).all()
    )


def latest(
    session: Session, family_id: uuid.UUID, section_id: str, cycle: int = 0
) -> Classification | None:
    rows = history(session, family_id, section_id, cycle)
    return rows[0] if rows else None


def missing_sections(
    session: Session, family: Family, content: FrameworkContent, section_id: str, cycle: int = 0
) -> list[str]:
    """Titles of what must be finished before the classification can be submitted."""
    classification_section(content, section_id)
    return list(progress.waiting_for(session, family, content, section_id, cycle))


# --- submitting -----------------------------------------------------------------------------


@atomic
def submit(
    session: Session,
    *,
    actor: audit.Actor,
    family: Family,
    content: FrameworkContent,
    section_id: str,
    level: str,
    rationale: str,
    latest_id: str,
) -> Classification:
    """Submit the practitioner's level for sign-off. `latest_id` is the newest submission the
    form was made from ("" for none), so a stale or repeated form changes nothing."""
    section = classification_section(content, section_id)
    if actor.user is None:
        raise Forbidden("Sign in to submit a classification.")
    if family.status != FamilyStatus.ACTIVE:
        raise Conflict(decisions.PLAN_NOT_ACTIVE)
    cycle = progress.current_cycle(content, family, section_id)
    current = latest(session, family.id, section_id, cycle)
    if current is not None and current.status == ClassificationStatus.SUBMITTED:
        raise Conflict(ALREADY_SUBMITTED)
    if (str(current.id) if current else "") != latest_id:
        raise Conflict(STALE_CLASSIFICATION)
    suggestion = suggest(
        session, family=family, content=content, cycle=cycle, timepoint=section.timepoint
    )
    problems = Problems()
    waiting = missing_sections(session, family, content, section_id, cycle)
    if waiting:
        problems.add(
            "level",
            "Finish these before submitting the classification: " + ", ".join(waiting),
        )
    for tool in suggestion.result.tools:
        if not tool.completed:
            problems.add(
                "level",
                f"{tool.title} is not completed: answer {'; '.join(tool.unanswered)} first",
            )
    levels = {item.id: item.label for item in content.levels}
    chosen = problems.choice("level", level, levels, missing="Select the level you recommend")
    if chosen is not None and not problems.errors:
        _check_discretionary(content, suggestion.result, chosen, problems)
    differs = chosen is not None and chosen != suggestion.level_id
    cleaned = problems.text(
        "rationale",
        rationale,
        label="your reasons",
        max_length=RATIONALE_MAX,
        required=differs,
        missing=(
            "Enter why your level differs from the suggested level "
            f"({suggestion.result.suggested_level.label})"
        ),
    )
    problems.raise_if_any()
    assert chosen is not None
    _claim_submission(session, actor, family, section_id, cycle)
    row = Classification(
        family_id=family.id,
        section_id=section_id,
        cycle=cycle,
        timepoint_id=section.timepoint,
        content_version=content.version,
        content_hash=content.content_hash,
        suggested_level=suggestion.level_id,
        explanation=suggestion.explanation,
        level_set_by=list(suggestion.explanation.get("set_by", [])),
        practitioner_level=chosen,
        rationale=cleaned,
        submitted_by_id=actor.user.id,
        status=ClassificationStatus.SUBMITTED.value,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor,
        AuditAction.CREATE,
        entity_type="classification",
        entity_id=row.id,
        family_id=family.id,
        details={
            "timepoint": section.timepoint,
            "suggested_level": suggestion.level_id,
            "practitioner_level": chosen,
        },
    )
    progress.refresh_family(session, family, content)
    return row


def discretionary_limit(result: RulesResult) -> tuple[int, str] | None:
    """How many levels the practitioner may move away from the suggestion (a discretionary
    override), and the tool that sets that limit: the strictest of the tools that do."""
    limits = [
        (tool.discretionary_levels, tool.title)
        for tool in result.tools
        if tool.discretionary_levels is not None
    ]
    return min(limits) if limits else None


def _check_discretionary(
    content: FrameworkContent, result: RulesResult, chosen: str, problems: Problems
) -> None:
    limit = discretionary_limit(result)
    if limit is None:
        return
    steps, title = limit
    ordered = sorted(content.levels, key=lambda item: item.rank)
    ids = [item.id for item in ordered]
    suggested = ids.index(result.suggested_level.id)
    if abs(ids.index(chosen) - suggested) <= steps:
        return
    allowed = [item.label for item in ordered[max(0, suggested - steps) : suggested + steps + 1]]
    how_far = (
        f"lets you move the level at most {steps} level{'s' if steps != 1 else ''}"
        if steps
        else "does not let you move the level"
    )
    problems.add(
        "level",
        f"{title} {how_far} from the suggested level ({result.suggested_level.label}); "
        f"choose {' or '.join(allowed)}",
    )


def _claim_submission(
    session: Session, actor: audit.Actor, family: Family, section_id: str, cycle: int
) -> None:
    """Mark the classification as awaiting sign-off in one statement (or one unique insert),
    so that of two submissions racing each other only one gets through."""
    where = (
        col(SectionProgress.family_id) == family.id,
        col(SectionProgress.section_id) == section_id,
        col(SectionProgress.cycle) == cycle,
    )
    waiting = SectionStatus.AWAITING_SIGN_OFF.value
    before = session.exec(select(SectionProgress.status).where(*where)).first()
    result = session.execute(
        update(SectionProgress)
        .where(*where, col(SectionProgress.status) != waiting)
        .values(status=waiting, updated_at=utcnow(), updated_by_id=actor.user_id)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        if before is not None:
            raise Conflict(ALREADY_SUBMITTED)
        session.add(
            SectionProgress(
                family_id=family.id,
                section_id=section_id,
                cycle=cycle,
                status=waiting,
                updated_by_id=actor.user_id,
            )
        )
        try:
            with session.begin_nested():
                session.flush()
        except IntegrityError:
            raise Conflict(ALREADY_SUBMITTED) from None
    audit.record(
        session,
        actor,
        AuditAction.UPDATE,
        entity_type="section_progress",
        entity_id=section_id,
        family_id=family.id,
        details={"status": {"before": before or SectionStatus.NOT_STARTED.value, "after": waiting}},
    )


# --- reviewing ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Review:
    agrees: bool | None
    comments: str
    level: str
    gate_option: str


@atomic
def review(
    session: Session,
    *,
    actor: audit.Actor,
    family: Family,
    content: FrameworkContent,
    classification_id: uuid.UUID,
    details: Review,
    expected_version: int,
) -> Classification:
    """The supervisor agrees (signing off, with the decision at the gate) or disagrees
    (sending it back with comments and their own level)."""
    row = session.get(Classification, classification_id)
    if row is None or row.family_id != family.id:
        raise NotFound("There is no such classification for this family.")
    user = actor.user
    if user is None or Role.SUPERVISOR not in user.roles:
        raise Forbidden("Only a supervisor of this family's team can sign off a classification.")
    if user.id in {row.submitted_by_id, family.allocated_practitioner_id}:
        raise access.refuse(
            session,
            actor=actor,
            family=family,
            reason="supervisor signing off their own classification",
            message=(
                "You cannot sign off a classification you submitted, or one for a family "
                "allocated to you: ask another supervisor."
            ),
        )
    if row.status != ClassificationStatus.SUBMITTED:
        raise Conflict(ALREADY_REVIEWED)
    if family.status != FamilyStatus.ACTIVE:
        raise Conflict(decisions.PLAN_NOT_ACTIVE)
    gate = inline_gate(content, row.section_id)
    problems = Problems()
    if details.agrees is None:
        problems.add("agrees", "Select whether you agree with the practitioner's level")
    levels = {item.id: item.label for item in content.levels}
    supervisor_level: str | None = row.practitioner_level
    option = None
    if details.agrees is False:
        supervisor_level = problems.choice(
            "supervisor_level", details.level, levels, missing="Select the level you think is right"
        )
    if details.agrees and gate is not None:
        options = {item.id: item.label for item in gate.options}
        option = problems.choice(
            "gate_option", details.gate_option, options, missing=f"Select: {gate.question}"
        )
    comments_needed = details.agrees is False or bool(gate and gate.rationale_required)
    comments = problems.text(
        "comments",
        details.comments,
        label="your comments",
        max_length=RATIONALE_MAX,
        required=comments_needed,
        missing=(
            "Enter why you disagree, so the practitioner knows what to look at again"
            if details.agrees is False
            else "Enter the reasons for your decision"
        ),
    )
    problems.raise_if_any()
    now = utcnow()
    status = ClassificationStatus.AGREED if details.agrees else ClassificationStatus.DISAGREED
    result = session.execute(
        update(Classification)
        .where(
            col(Classification.id) == row.id,
            col(Classification.version) == expected_version,
            col(Classification.status) == ClassificationStatus.SUBMITTED.value,
        )
        .values(
            version=expected_version + 1,
            status=status.value,
            supervisor_agrees=bool(details.agrees),
            supervisor_comments=comments,
            supervisor_level=supervisor_level,
            reviewed_by_id=user.id,
            reviewed_at=now,
            gate_id=gate.id if gate and option else None,
            gate_option_id=option,
        )
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict(STALE_CLASSIFICATION)
    session.refresh(row)
    audit.record(
        session,
        actor,
        AuditAction.UPDATE,
        entity_type="classification",
        entity_id=row.id,
        family_id=family.id,
        details={
            "review": status.value,
            "supervisor_level": supervisor_level,
            "gate_option": option,
        },
    )
    if status is ClassificationStatus.DISAGREED:
        progress.set_section_status(
            session,
            actor=actor,
            family=family,
            content=content,
            section_id=row.section_id,
            status=SectionStatus.IN_PROGRESS,
            cycle=row.cycle,
        )
        return row
    _sign_off(session, actor, family, content, row)
    if gate is not None and option is not None:
        decision = decisions.record(
            session,
            actor=actor,
            family=family,
            content=content,
            gate_id=gate.id,
            choice=decisions.Choice(option=option, reason=comments or ""),
            classification_id=row.id,
        )
        row.gate_decision_id = decision.id
        session.add(row)
        session.flush()
    return row


def inline_gate(content: FrameworkContent, section_id: str) -> GateSection | None:
    """The decision a supervisor records while signing off this classification: the gate
    that waits for it, when nobody is to propose that decision first (otherwise the decision
    has its own page, after the proposal)."""
    gate = gate_after(content, section_id)
    return gate if gate is not None and gate.proposed_by is None else None


def _sign_off(
    session: Session,
    actor: audit.Actor,
    family: Family,
    content: FrameworkContent,
    row: Classification,
) -> None:
    """Freeze the record the classification was made on (every form it waits for, in this
    review for the sections answered at each review) and mark it signed off."""
    state = progress.load_state(session, family)
    keys = [
        key
        for key in progress.prerequisite_keys(content, state, row.section_id, row.cycle)
        if state.statuses.get(key, SectionStatus.NOT_STARTED) is not SectionStatus.NOT_STARTED
    ]
    frozen = questions.freeze_sections(
        session,
        actor=actor,
        family=family,
        content=content,
        keys=keys,
        classification_id=row.id,
    )
    for section_id, cycle in (*frozen, (row.section_id, row.cycle)):
        progress.set_section_status(
            session,
            actor=actor,
            family=family,
            content=content,
            section_id=section_id,
            status=SectionStatus.SIGNED_OFF,
            cycle=cycle,
            refresh=False,
        )
    progress.refresh_family(session, family, content)
