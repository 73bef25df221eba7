"""Where a family stands: the task list generated from its pinned content version, the
current stage, the next action and when the next review is due.

Features (chronology, assessment, classification, gates) record section statuses and gate
decisions; this module only reads them, so a section added to the content appears in the
task list without new code.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta

from sqlmodel import Session, col, select

from app.content.model import FrameworkContent
from app.content.schema import GateSection, Section
from app.models.audit import AuditAction
from app.models.base import utcnow
from app.models.family import Family
from app.models.progress import GateDecision, SectionProgress, SectionStatus
from app.services import audit
from app.timeutil import LONDON, london_today

DONE = frozenset({SectionStatus.COMPLETED, SectionStatus.SIGNED_OFF})
STATUS_LABELS = {
    SectionStatus.NOT_STARTED: "Not started",
    SectionStatus.IN_PROGRESS: "In progress",
    SectionStatus.COMPLETED: "Completed",
    SectionStatus.AWAITING_SIGN_OFF: "Awaiting sign-off",
    SectionStatus.SIGNED_OFF: "Signed off",
}


@dataclass(frozen=True)
class Task:
    section: Section
    stage_id: str
    status: SectionStatus
    can_start: bool
    waiting_for: tuple[str, ...]  # titles of the sections that must be done first
    decision: GateDecision | None

    @property
    def is_gate(self) -> bool:
        return isinstance(self.section, GateSection)

    @property
    def status_label(self) -> str:
        if not self.can_start and self.status is SectionStatus.NOT_STARTED:
            return "Cannot start yet"
        return STATUS_LABELS[self.status]

    @property
    def outcome_label(self) -> str | None:
        if not self.decision or not isinstance(self.section, GateSection):
            return None
        for option in self.section.options:
            if option.id == self.decision.option_id:
                return option.label
        return self.decision.option_id


@dataclass(frozen=True)
class StageTasks:
    stage_id: str
    title: str
    tasks: tuple[Task, ...]

    @property
    def done(self) -> bool:
        return all(task.status in DONE for task in self.tasks)


@dataclass(frozen=True)
class Journey:
    stages: tuple[StageTasks, ...]

    @property
    def current_stage(self) -> StageTasks | None:
        return next((stage for stage in self.stages if not stage.done), None)

    @property
    def awaiting_sign_off(self) -> bool:
        return any(
            task.status is SectionStatus.AWAITING_SIGN_OFF
            for stage in self.stages
            for task in stage.tasks
        )

    def next_task(self) -> Task | None:
        for stage in self.stages:
            for task in stage.tasks:
                if task.can_start and task.status not in DONE:
                    return task
        return None

    @property
    def next_action(self) -> str:
        task = self.next_task()
        if task is None:
            return "All stages complete"
        if task.status is SectionStatus.AWAITING_SIGN_OFF:
            return f"Sign off: {task.section.title}"
        if task.is_gate:
            return f"Record: {task.section.title}"
        verb = "Continue" if task.status is SectionStatus.IN_PROGRESS else "Start"
        return f"{verb}: {task.section.title}"


def section_statuses(session: Session, family_id: uuid.UUID) -> dict[str, SectionStatus]:
    rows = session.exec(
        select(SectionProgress).where(col(SectionProgress.family_id) == family_id)
    ).all()
    return {row.section_id: SectionStatus(row.status) for row in rows}


def latest_decisions(session: Session, family_id: uuid.UUID) -> dict[str, GateDecision]:
    rows = session.exec(
        select(GateDecision)
        .where(col(GateDecision.family_id) == family_id)
        .order_by(col(GateDecision.decided_at))
    ).all()
    return {row.gate_id: row for row in rows}


def journey(
    content: FrameworkContent,
    statuses: dict[str, SectionStatus],
    decisions: dict[str, GateDecision],
) -> Journey:
    """The task list: every stage and section of the content with its status."""
    titles = {section_id: info.section.title for section_id, info in content.sections.items()}

    def status_of(section: Section) -> SectionStatus:
        if isinstance(section, GateSection) and section.id in decisions:
            return SectionStatus.COMPLETED
        return statuses.get(section.id, SectionStatus.NOT_STARTED)

    done = {
        section_id
        for section_id, info in content.sections.items()
        if status_of(info.section) in DONE
    }
    stages = []
    for stage in content.stages:
        tasks = []
        for section in stage.sections:
            waiting = tuple(titles[req] for req in section.requires if req not in done)
            tasks.append(
                Task(
                    section=section,
                    stage_id=stage.id,
                    status=status_of(section),
                    can_start=not waiting,
                    waiting_for=waiting,
                    decision=decisions.get(section.id),
                )
            )
        stages.append(StageTasks(stage_id=stage.id, title=stage.title, tasks=tuple(tasks)))
    return Journey(stages=tuple(stages))


def family_journey(session: Session, family: Family, content: FrameworkContent) -> Journey:
    return journey(
        content, section_statuses(session, family.id), latest_decisions(session, family.id)
    )


def next_review_due(
    family: Family, content: FrameworkContent, decisions: dict[str, GateDecision]
) -> date:
    """The first review falls due the content's first-review interval after work starts;
    after that, the regular interval after the latest decision recorded at any gate."""
    cadence = content.cadence
    if not decisions:
        return family.work_started_on + timedelta(weeks=cadence.first_review_after_weeks)
    latest = max(decision.decided_at for decision in decisions.values())
    return latest.astimezone(LONDON).date() + timedelta(weeks=cadence.review_every_weeks)


def is_overdue(due: date | None) -> bool:
    return due is not None and due < london_today()


def refresh_family(session: Session, family: Family, content: FrameworkContent) -> Journey:
    """Recompute the caseload columns of a family from its progress; the caller commits."""
    decisions = latest_decisions(session, family.id)
    current = journey(content, section_statuses(session, family.id), decisions)
    stage = current.current_stage
    family.current_stage_id = stage.stage_id if stage else None
    family.next_action = current.next_action[:200]
    family.next_review_due = next_review_due(family, content, decisions)
    family.awaiting_sign_off = current.awaiting_sign_off
    session.add(family)
    return current


def set_section_status(
    session: Session,
    *,
    actor: audit.Actor,
    family: Family,
    content: FrameworkContent,
    section_id: str,
    status: SectionStatus,
) -> None:
    """Record a section's new status (features call this) and refresh the caseload columns."""
    row = session.exec(
        select(SectionProgress).where(
            col(SectionProgress.family_id) == family.id,
            col(SectionProgress.section_id) == section_id,
        )
    ).first()
    before = row.status if row else SectionStatus.NOT_STARTED.value
    if before == status.value:
        return
    if row is None:
        row = SectionProgress(family_id=family.id, section_id=section_id, status=status.value)
    row.status = status.value
    row.updated_at = utcnow()
    row.updated_by_id = actor.user_id
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor,
        AuditAction.UPDATE,
        entity_type="section_progress",
        entity_id=section_id,
        family_id=family.id,
        details={"status": {"before": before, "after": status.value}},
    )
    refresh_family(session, family, content)
