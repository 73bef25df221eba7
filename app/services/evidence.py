"""Evidence for risk and protective factors: entries of the family's own chronology, and
reports, observations and other evidence with their date and source."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Subquery, or_
from sqlalchemy import select as select_rows
from sqlmodel import Session, col, func, select

from app.content.model import FactorInfo, FrameworkContent
from app.db import read_once
from app.models.assessment import EVIDENCE_KIND_LABELS, EvidenceKind, FactorEvidence
from app.models.audit import AuditAction
from app.models.base import utcnow
from app.models.chronology import ChronologyEntry
from app.models.family import Family
from app.services import audit
from app.services.errors import InvalidInput, NotFound
from app.services.records import LIKE_ESCAPE, Problems, contains_pattern, save_changes
from app.timeutil import describe_date, format_date

PICKER_LIMIT = 50
OTHER_KINDS = (EvidenceKind.REPORT, EvidenceKind.OBSERVATION, EvidenceKind.OTHER)


@dataclass(frozen=True)
class EvidenceItem:
    """A piece of evidence as pages and summaries show it."""

    id: uuid.UUID
    factor_id: str
    kind: str
    kind_label: str
    on: date | None
    source: str | None
    description: str
    chronology_entry_id: uuid.UUID | None
    version: int
    # How exact `on` is: a chronology entry's precision, or "day" for a dated document.
    precision: str = "day"

    @property
    def on_text(self) -> str | None:
        """The date as it was recorded ("March 2019", "About 2019"), or None when undated."""
        return describe_date(self.on, self.precision) if self.on else None


def factor_info(content: FrameworkContent, factor_id: str) -> FactorInfo:
    info = content.factors.get(factor_id)
    if info is None:
        raise NotFound("This framework version has no such factor.")
    return info


def evidence_for(
    session: Session,
    family_id: uuid.UUID,
    factor_id: str | None = None,
    *,
    factor_ids: Collection[str] | None = None,
) -> list[EvidenceItem]:
    """The evidence linked to the family's factors (or one factor, or `factor_ids`), oldest
    event first."""
    # The columns shown, not whole records: a summary lists every piece of evidence, and
    # building a record for each row cost more than the rest of the read.
    shown: tuple[Any, ...] = (
        col(FactorEvidence.id),
        col(FactorEvidence.factor_id),
        col(FactorEvidence.kind),
        col(FactorEvidence.evidence_date),
        col(FactorEvidence.source),
        col(FactorEvidence.description),
        col(FactorEvidence.chronology_entry_id),
        col(FactorEvidence.version),
        col(ChronologyEntry.id).label("entry_id"),
        col(ChronologyEntry.deleted_at).label("entry_deleted_at"),
        col(ChronologyEntry.occurred_on),
        col(ChronologyEntry.source_detail),
        col(ChronologyEntry.source_id),
        col(ChronologyEntry.what_happened),
        col(ChronologyEntry.date_precision),
    )
    query = (
        select_rows(*shown)
        .join(
            ChronologyEntry,
            col(ChronologyEntry.id) == col(FactorEvidence.chronology_entry_id),
            isouter=True,
        )
        .where(col(FactorEvidence.family_id) == family_id, col(FactorEvidence.deleted_at).is_(None))
    )
    if factor_id is not None:
        query = query.where(col(FactorEvidence.factor_id) == factor_id)
    if factor_ids is not None:
        query = query.where(col(FactorEvidence.factor_id).in_(list(factor_ids)))
    items = []
    for row in session.execute(query):
        entry = row.entry_id is not None
        if entry and row.entry_deleted_at is not None:
            continue  # a deleted chronology entry no longer counts as evidence
        items.append(
            EvidenceItem(
                id=row.id,
                factor_id=row.factor_id,
                kind=row.kind,
                kind_label=EVIDENCE_KIND_LABELS[EvidenceKind(row.kind)],
                on=row.occurred_on if entry else row.evidence_date,
                source=row.source_detail or row.source_id if entry else row.source,
                description=row.what_happened if entry else row.description or "",
                chronology_entry_id=row.chronology_entry_id,
                version=row.version,
                precision=row.date_precision if entry else "day",
            )
        )
    return sorted(items, key=lambda item: (item.on or date.max, item.description))


def by_factor(
    session: Session, family_id: uuid.UUID, factor_ids: Collection[str], *, fresh: bool = False
) -> dict[str, list[EvidenceItem]]:
    """The evidence of these factors, by factor, read once per transaction unless `fresh`: a
    section's page counts it for the section's factors and lists it under each."""
    wanted = frozenset(factor_ids)

    def read() -> dict[str, list[EvidenceItem]]:
        found: dict[str, list[EvidenceItem]] = {factor_id: [] for factor_id in sorted(wanted)}
        for item in evidence_for(session, family_id, factor_ids=wanted):
            found[item.factor_id].append(item)
        return found

    return read_once(
        session,
        ("evidence", family_id, wanted),
        ("factor_evidence", "chronology_entry"),
        read,
        fresh=fresh,
    )


def counts_by_factor(family_ids: Collection[uuid.UUID]) -> Subquery:
    """How many pieces of evidence back each factor of each family (family_id, factor_id,
    count), counted as `evidence_for` lists them: evidence linked to a chronology entry deleted
    since no longer counts (for the rules' minimum evidence). A subquery, to join to the
    ratings it backs."""
    return (
        select_rows(
            col(FactorEvidence.family_id),
            col(FactorEvidence.factor_id),
            func.count().label("count"),
        )
        .join(
            ChronologyEntry,
            col(ChronologyEntry.id) == col(FactorEvidence.chronology_entry_id),
            isouter=True,
        )
        .where(
            col(FactorEvidence.family_id).in_(list(family_ids)),
            col(FactorEvidence.deleted_at).is_(None),
            col(ChronologyEntry.deleted_at).is_(None),
        )
        .group_by(col(FactorEvidence.family_id), col(FactorEvidence.factor_id))
        .subquery()
    )


def search_entries(
    session: Session, family: Family, *, text: str = "", limit: int = PICKER_LIMIT
) -> tuple[list[ChronologyEntry], int]:
    """The family's chronology entries matching `text`, newest first, and how many match."""
    conditions = [
        col(ChronologyEntry.family_id) == family.id,
        col(ChronologyEntry.deleted_at).is_(None),
    ]
    if text.strip():
        pattern = contains_pattern(text[:100])
        conditions.append(
            or_(
                *(
                    func.lower(column).like(pattern, escape=LIKE_ESCAPE)
                    for column in (
                        col(ChronologyEntry.what_happened),
                        col(ChronologyEntry.source_detail),
                        col(ChronologyEntry.who_was_involved),
                    )
                )
            )
        )
    total = session.exec(select(func.count()).select_from(ChronologyEntry).where(*conditions)).one()
    rows = session.exec(
        select(ChronologyEntry)
        .where(*conditions)
        .order_by(col(ChronologyEntry.occurred_on).desc(), col(ChronologyEntry.created_at))
        .limit(limit)
    ).all()
    return list(rows), total


def link_entries(
    session: Session,
    *,
    actor: audit.Actor,
    family: Family,
    content: FrameworkContent,
    factor_id: str,
    entry_ids: Sequence[str],
) -> int:
    """Link chronology entries of the same family to a factor; returns how many were new."""
    factor_info(content, factor_id)
    problems = Problems()
    wanted: list[uuid.UUID] = []
    for raw in entry_ids:
        try:
            wanted.append(uuid.UUID(str(raw)))
        except ValueError:
            problems.add("entries", "Select entries from this family's chronology")
    if not wanted and not problems.errors:
        problems.add("entries", "Select at least one chronology entry")
    problems.raise_if_any()
    found = session.exec(
        select(ChronologyEntry.id).where(
            col(ChronologyEntry.id).in_(wanted),
            col(ChronologyEntry.family_id) == family.id,
            col(ChronologyEntry.deleted_at).is_(None),
        )
    ).all()
    if len(set(found)) != len(set(wanted)):
        raise InvalidInput(
            {
                "entries": "Select entries from this family's own chronology; evidence cannot "
                "come from another family's record"
            }
        )
    linked = {item.chronology_entry_id for item in evidence_for(session, family.id, factor_id)}
    added = 0
    for entry_id in dict.fromkeys(wanted):
        if entry_id in linked:
            continue
        evidence = FactorEvidence(
            family_id=family.id,
            factor_id=factor_id,
            kind=EvidenceKind.CHRONOLOGY.value,
            chronology_entry_id=entry_id,
            added_by_id=actor.user_id,
        )
        session.add(evidence)
        session.flush()
        audit.record(
            session,
            actor,
            AuditAction.CREATE,
            entity_type="factor_evidence",
            entity_id=evidence.id,
            family_id=family.id,
            details={"factor": factor_id, "chronology_entry": str(entry_id)},
        )
        added += 1
    return added


@dataclass(frozen=True)
class OtherEvidence:
    kind: str
    on: date | None
    source: str
    description: str


def add_other(
    session: Session,
    *,
    actor: audit.Actor,
    family: Family,
    content: FrameworkContent,
    factor_id: str,
    details: OtherEvidence,
) -> FactorEvidence:
    """Add a report, an observation or other evidence, with its date and source."""
    factor_info(content, factor_id)
    problems = Problems()
    problems.choice(
        "kind",
        details.kind,
        {kind.value: kind.value for kind in OTHER_KINDS},
        missing="Select what kind of evidence this is",
    )
    if details.on is None:
        problems.add("on", "Enter the date of the evidence")
    problems.past_date("on", details.on, label="the date of the evidence")
    source = problems.text(
        "source", details.source, label="where the evidence comes from", max_length=300
    )
    description = problems.text(
        "description", details.description, label="what the evidence shows", max_length=2000
    )
    problems.raise_if_any()
    evidence = FactorEvidence(
        family_id=family.id,
        factor_id=factor_id,
        kind=details.kind,
        evidence_date=details.on,
        source=source,
        description=description,
        added_by_id=actor.user_id,
    )
    session.add(evidence)
    session.flush()
    audit.record(
        session,
        actor,
        AuditAction.CREATE,
        entity_type="factor_evidence",
        entity_id=evidence.id,
        family_id=family.id,
        details={"factor": factor_id, "kind": details.kind, "on": format_date(details.on)},
    )
    return evidence


def remove(
    session: Session,
    *,
    actor: audit.Actor,
    family: Family,
    factor_id: str,
    evidence_id: uuid.UUID,
    expected_version: int,
) -> None:
    """Unlink a piece of evidence from a factor (kept, marked removed, for the record)."""
    evidence = session.get(FactorEvidence, evidence_id)
    if (
        evidence is None
        or evidence.family_id != family.id
        or evidence.factor_id != factor_id
        or evidence.deleted_at is not None
    ):
        raise NotFound("This evidence is not linked to the factor any more.")
    save_changes(
        session,
        actor=actor,
        record=evidence,
        values={
            "deleted_at": utcnow(),
            "deleted_reason": "Removed from the factor",
            "deleted_by_id": actor.user_id,
        },
        expected_version=expected_version,
        entity_type="factor_evidence",
        family_id=family.id,
    )


# The picker inside a factors page: each factor's checkboxes are posted with the section's form
# as `evidence.<factor>` (the entries ticked) and `evidence-offered.<factor>` (the entries the
# picker showed), so that unticking one unlinks it and entries it did not show stay as they are.
CHOSEN = "evidence."
OFFERED = "evidence-offered."
INLINE_LIMIT = 20


def posted_pickers(form: Mapping[str, Any]) -> dict[str, tuple[list[str], list[str]]]:
    """Each factor whose picker was posted: (entries offered, entries chosen)."""
    pickers: dict[str, tuple[list[str], list[str]]] = {}
    for name in form:
        if name.startswith(OFFERED):
            factor_id = name[len(OFFERED) :]
            pickers[factor_id] = (
                _as_list(form.get(name)),
                _as_list(form.get(CHOSEN + factor_id)),
            )
    return pickers


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return [str(item) for item in value]
    return [str(value)]


def sync_pickers(
    session: Session,
    *,
    actor: audit.Actor,
    family: Family,
    content: FrameworkContent,
    factor_ids: Collection[str],
    form: Mapping[str, Any],
) -> list[str]:
    """Link the entries ticked in a factors page's pickers and unlink those unticked; returns
    the factors whose evidence changed. A picker for a factor the page does not rate is refused."""
    changed: list[str] = []
    for factor_id, (offered, chosen) in posted_pickers(form).items():
        if factor_id not in factor_ids:
            raise InvalidInput(
                {
                    "section-form": "This form links evidence to a factor not on this page; "
                    "reload the page"
                }
            )
        offered_ids = _entry_ids(offered)
        chosen_ids = _entry_ids(chosen)
        if not chosen_ids <= offered_ids:
            raise InvalidInput({"section-form": "Choose evidence from the entries shown"})
        linked = {
            item.chronology_entry_id: item
            for item in evidence_for(session, family.id, factor_id)
            if item.chronology_entry_id is not None
        }
        new = [str(entry_id) for entry_id in chosen_ids if entry_id not in linked]
        if new and link_entries(
            session,
            actor=actor,
            family=family,
            content=content,
            factor_id=factor_id,
            entry_ids=new,
        ):
            changed.append(factor_id)
        for entry_id in offered_ids - chosen_ids:
            item = linked.get(entry_id)
            if item is not None:
                remove(
                    session,
                    actor=actor,
                    family=family,
                    factor_id=factor_id,
                    evidence_id=item.id,
                    expected_version=item.version,
                )
                if factor_id not in changed:
                    changed.append(factor_id)
    return changed


def _entry_ids(raw: Sequence[str]) -> set[uuid.UUID]:
    try:
        return {uuid.UUID(value) for value in raw}
    except ValueError:
        raise InvalidInput(
            {"section-form": "Choose evidence from this family's chronology"}
        ) from None
