"""What section builders read: the family, its content version and the records they share,
each loaded once however many sections use it."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property

from sqlmodel import Session, col, select

from app.content.model import FrameworkContent
from app.content.rules import RulesResult, evaluate
from app.content.schema import ClassificationSection
from app.content.snapshot import FamilySnapshot
from app.models.accounts import User
from app.models.chronology import ChronologyEntry
from app.models.family import Adult, Child, EarlierReturn, Family
from app.models.progress import GateDecision, SectionStatus
from app.services import accounts, agreement, assessment_summary, families, progress
from app.services.assessment_summary import ClassificationRecord, DomainFactors
from app.services.review_pack import ReviewHistory, review_history
from app.services.snapshot import build_family_snapshot
from app.summary.document import Citations


@dataclass
class SummaryContext:
    session: Session
    family: Family
    content: FrameworkContent
    as_of: date
    now: datetime
    produced_by: User
    # A copy for disclosure to the family: information marked as third-party is left out.
    disclosure: bool = False
    # The appendix (evidence in full, the rules behind earlier classifications) on request.
    appendix: bool = False
    # The research sources cited so far, numbered for the list that ends the document.
    citations: Citations = field(default_factory=Citations)

    @cached_property
    def children(self) -> Sequence[Child]:
        return families.children(self.session, self.family)

    @cached_property
    def returns_by_child(self) -> dict[uuid.UUID, list[EarlierReturn]]:
        grouped: dict[uuid.UUID, list[EarlierReturn]] = {child.id: [] for child in self.children}
        for item in families.earlier_returns(self.session, list(grouped)):
            grouped[item.child_id].append(item)
        return grouped

    @cached_property
    def adults(self) -> Sequence[Adult]:
        return families.adults(self.session, self.family)

    @cached_property
    def people(self) -> tuple[str, ...]:
        """The names of the family's children and adults."""
        return tuple(child.name for child in self.children) + tuple(
            adult.name for adult in self.adults
        )

    @cached_property
    def snapshot(self) -> FamilySnapshot:
        return build_family_snapshot(
            self.session, family=self.family, content=self.content, as_of=self.as_of
        )

    @cached_property
    def rules(self) -> RulesResult:
        return evaluate(self.content, self.snapshot, self.timepoint)

    @cached_property
    def timepoint(self) -> str | None:
        """The classification timepoint the family is at, so that the summary shows the scored
        tools that apply there: its next classification not yet signed off (the last one once
        every one is)."""
        latest = None
        for stage in self.journey.stages:
            for task in stage.tasks:
                if isinstance(task.section, ClassificationSection):
                    latest = task.section.timepoint
                    if task.status is not SectionStatus.SIGNED_OFF:
                        return latest
        return latest

    @cached_property
    def journey(self) -> progress.Journey:
        return progress.family_journey(self.session, self.family, self.content)

    @cached_property
    def agreement(self) -> agreement.Agreement:
        """The written agreements and the support plan."""
        return agreement.read(self.session, family=self.family, content=self.content)

    @cached_property
    def reviews(self) -> ReviewHistory:
        """Every review, read once however many sections show it."""
        return review_history(
            self.session,
            family=self.family,
            content=self.content,
            today=self.as_of,
            third_party=not self.disclosure,
        )

    @cached_property
    def decisions(self) -> Sequence[GateDecision]:
        """Every decision recorded at a gate, oldest first (superseded ones included)."""
        return progress.decision_rows(self.session, self.family)

    @cached_property
    def factor_domains(self) -> list[DomainFactors]:
        """Each domain's factors with their ratings and evidence (the factors section and the
        appendix's evidence in full)."""
        return assessment_summary.factors_by_domain(
            self.session, family=self.family, content=self.content
        )

    @cached_property
    def third_party_entries(self) -> set[uuid.UUID]:
        """Ids of the chronology entries marked as third-party information that this copy
        leaves out (none, unless it is the disclosure copy)."""
        if not self.disclosure:
            return set()
        return set(
            self.session.exec(
                select(col(ChronologyEntry.id)).where(
                    col(ChronologyEntry.family_id) == self.family.id,
                    col(ChronologyEntry.third_party).is_(True),
                )
            ).all()
        )

    @cached_property
    def information_sources(self) -> dict[str, str]:
        """The chronology's information sources' labels by id."""
        return {item.id: item.label for item in self.content.chronology.information_sources}

    @cached_property
    def classifications(self) -> list[ClassificationRecord]:
        """Every classification submitted, oldest first."""
        return assessment_summary.classification_history(self.session, family=self.family)

    @cached_property
    def last_review(self) -> datetime | None:
        """When the latest decision was recorded: the summary's "last review"."""
        return self.decisions[-1].decided_at if self.decisions else None

    def names(self, user_ids: Iterable[uuid.UUID | None]) -> dict[uuid.UUID, str]:
        """Staff names by id, for "decided by" and "recorded by"."""
        return accounts.staff_names(self.session, user_ids)
