"""Run the validation cases: build each invented family through the same services the pages
use, ask the rules for their suggestion, and compare it with what a practitioner expects.

`check_bundled` (behind `python -m app content check-cases`) runs them on a scratch SQLite
database that is thrown away, never on the configured one: the invented families must not
appear in anyone's caseload."""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, TextIO

from sqlmodel import Session

from app.content.model import FrameworkContent
from app.content.registry import ContentRegistry, read_registry
from app.db import make_engine, migrate, open_session
from app.models.accounts import Role
from app.models.family import Adult, Child, Family
from app.services import accounts, chronology, classification, families, questions
from app.services.audit import Actor
from app.services.case_file import (
    AdultCase,
    Case,
    CaseSet,
    CasesRefused,
    ChildCase,
    ProblemCase,
    cases_path,
    load_cases,
)


@dataclass(frozen=True)
class CaseOutcome:
    """What the rules showed for one case against what was expected."""

    case: Case
    suggested: str
    raised: tuple[str, ...]
    expected: tuple[str, ...]

    @property
    def missing(self) -> tuple[str, ...]:
        return tuple(rule for rule in self.expected if rule not in self.raised)

    @property
    def unexpected(self) -> tuple[str, ...]:
        return tuple(rule for rule in self.raised if rule not in self.expected)

    def level_in_range(self, content: FrameworkContent) -> bool:
        ranks = {level.id: level.rank for level in content.levels}
        level = self.case.expect.level
        return ranks[level.lowest] <= ranks[self.suggested] <= ranks[level.highest]

    def passed(self, content: FrameworkContent) -> bool:
        return not self.missing and self.level_in_range(content)


@dataclass(frozen=True)
class CheckReport:
    cases: CaseSet
    content: FrameworkContent
    outcomes: tuple[CaseOutcome, ...]

    @property
    def failed(self) -> tuple[CaseOutcome, ...]:
        return tuple(item for item in self.outcomes if not item.passed(self.content))

    def totals(self) -> dict[str, int]:
        """The figures docs/judgement.md quotes."""
        return {
            "families": len(self.outcomes),
            "cautions_expected": sum(len(item.expected) for item in self.outcomes),
            "expected_raised": sum(
                len(item.expected) - len(item.missing) for item in self.outcomes
            ),
            "unexpected": sum(len(item.unexpected) for item in self.outcomes),
            "levels_in_range": sum(
                1 for item in self.outcomes if item.level_in_range(self.content)
            ),
            "passed": len(self.outcomes) - len(self.failed),
        }


class CasesUnusable(Exception):
    """The cases cannot be run: each line says why (a refused case file gives file and line)."""

    def __init__(self, lines: Sequence[str]) -> None:
        super().__init__("\n".join(lines))
        self.lines = tuple(lines)


def check_bundled(
    content_dir: Path, framework_id: str, *, cases_file: Path | None = None
) -> CheckReport:
    """Run a framework's case file against the newest valid version in `content_dir`."""
    registry = read_registry(content_dir)
    if framework_id not in registry.offered():
        raise CasesUnusable(
            [
                f"No valid version of {framework_id} was found in {content_dir}; run "
                "`python -m app content validate` to see why."
            ]
        )
    path = cases_file or cases_path(content_dir, framework_id)
    if not path.is_file():
        raise CasesUnusable(
            [f"There is no case file at {path}: write the cases there (see docs/judgement.md)."]
        )
    try:
        cases = load_cases(path, registry.latest(framework_id))
    except CasesRefused as refused:
        count = len(refused.errors)
        return_lines = [f"{path} is refused ({count} error{'' if count == 1 else 's'}):"]
        raise CasesUnusable(return_lines + [str(error) for error in refused.errors]) from None
    with tempfile.TemporaryDirectory(prefix="homeward-cases-") as scratch:
        engine = make_engine(f"sqlite:///{Path(scratch) / 'cases.sqlite3'}")
        try:
            migrate(engine)
            with open_session(engine) as session:
                actor = Actor(
                    user=None, request_id="check-cases", path="python -m app content check-cases"
                )
                team = accounts.get_or_create_team(session, actor=actor, name="Validation cases")
                user, _ = accounts.create_user(
                    session,
                    actor=actor,
                    details=accounts.UserDetails(
                        name="Case checker",
                        email="case-checker@homeward.invalid",
                        team_id=team.id,
                        roles=frozenset({Role.PRACTITIONER}),
                    ),
                    temporary_password_lifetime=None,
                )
                actor = Actor(user=user, request_id="check-cases", path=actor.path)
                report = run_cases(session, actor=actor, registry=registry, cases=cases)
                session.rollback()
        finally:
            engine.dispose()
    return report


def run_cases(
    session: Session, *, actor: Actor, registry: ContentRegistry, cases: CaseSet
) -> CheckReport:
    """Every case, each as a new family on the newest version offered (as a user would
    start it); the caller decides whether the families are kept."""
    outcomes = tuple(
        run_case(
            session,
            actor=actor,
            registry=registry,
            framework_id=cases.framework,
            case=case,
            as_of=cases.as_of_for(case),
        )
        for case in cases.cases
    )
    return CheckReport(cases=cases, content=registry.latest(cases.framework), outcomes=outcomes)


def run_case(
    session: Session,
    *,
    actor: Actor,
    registry: ContentRegistry,
    framework_id: str,
    case: Case,
    as_of: date,
) -> CaseOutcome:
    family = build_family(
        session,
        actor=actor,
        registry=registry,
        case_framework=framework_id,
        case=case,
        as_of=as_of,
    )
    content = families.content_for(registry, family)
    found = classification.suggest(session, family=family, content=content, as_of=as_of)
    raised = tuple(finding.rule_id for finding in found.result.cautions)
    return CaseOutcome(
        case=case,
        suggested=found.level_id,
        raised=raised,
        expected=tuple(caution.id for caution in case.expect.cautions),
    )


def build_family(
    session: Session,
    *,
    actor: Actor,
    registry: ContentRegistry,
    case_framework: str,
    case: Case,
    as_of: date,
) -> Family:
    """The case's family, recorded as a practitioner would: details, history, chronology,
    the assessment's answers and factor ratings."""
    family = families.create_family(
        session,
        actor=actor,
        registry=registry,
        framework_id=case_framework,
        details=families.FamilyDetails(
            reference=f"CASE-{case.id}"[:40],
            display_name=case.title,
            allocated_practitioner_id=None,
        ),
    )
    content = families.content_for(registry, family)
    kids = [_add_child(session, actor, family, content, child) for child in case.children]
    adults = [_add_adult(session, actor, family, adult, kids) for adult in case.adults]
    _save(session, actor, family, content, "identification", _identification(case, as_of), True)
    for entry in case.chronology:
        chronology.add_entry(
            session,
            actor=actor,
            family=family,
            content=content,
            details=chronology.EntryDetails(
                occurred_on=entry.on,
                date_precision=entry.precision,
                source_id=entry.source,
                what_happened=entry.what,
                significance=entry.significance,
                theme_ids=entry.themes,
            ),
        )
    capacity = capacity_form(zip(adults, case.adults, strict=True))
    if capacity:
        _save(session, actor, family, content, "capacity-to-change", capacity)
    views = {
        f"{questions.ANSWER}parent-views[{adult.id}].parent-wants-return": given.wants_return
        for adult, given in zip(adults, case.adults, strict=True)
        if given.wants_return
    }
    if views:
        _save(session, actor, family, content, "views", views)
    wishes = {
        f"{questions.ANSWER}child-views[{child.id}].seen-alone": "yes" if given.seen_alone else "no"
        for child, given in zip(kids, case.children, strict=True)
        if given.seen_alone is not None
    }
    if wishes:
        _save(session, actor, family, content, "wishes-and-feelings", wishes)
    rate_present(session, actor, family, content, case.factors)
    return family


def _save(
    session: Session,
    actor: Actor,
    family: Family,
    content: FrameworkContent,
    section_id: str,
    form: dict[str, Any],
    complete: bool = False,
) -> None:
    result = questions.save_at_stored_version(
        session,
        actor=actor,
        family=family,
        content=content,
        section_id=section_id,
        form=form,
        complete=complete,
    )
    if complete and not result.completed:
        raise ValueError(f"{section_id} could not be completed")


def _add_child(
    session: Session, actor: Actor, family: Family, content: FrameworkContent, given: ChildCase
) -> Child:
    child = families.add_child(
        session,
        actor=actor,
        family=family,
        content=content,
        details=families.ChildDetails(
            name=given.name,
            date_of_birth=given.born,
            gender=given.gender,
            ethnicity=None,
            legal_status=given.legal_status,
            legal_status_detail=None,
            date_entered_care=given.entered_care,
            entry_reason=given.entry_reason,
            entry_reason_detail=None,
            placement_type="foster-care",
            placement_moves=given.placement_moves,
        ),
    )
    for earlier in given.earlier_returns:
        families.add_return(
            session,
            actor=actor,
            family=family,
            child=child,
            content=content,
            details=families.ReturnDetails(
                returned_on=earlier.returned_on,
                ended_on=earlier.ended_on,
                broke_down=earlier.broke_down,
                notes=None,
                planned=earlier.planned,
                returned_to=earlier.returned_to,
                breakdown_cause=earlier.cause,
            ),
        )
    for episode in given.care_episodes:
        families.add_episode(
            session,
            actor=actor,
            family=family,
            content=content,
            child=child,
            details=families.EpisodeDetails(
                started_on=episode.started_on,
                ended_on=episode.ended_on,
                legal_status=episode.legal_status,
                placements=episode.placements,
            ),
        )
    return child


def _add_adult(
    session: Session, actor: Actor, family: Family, given: AdultCase, kids: Sequence[Child]
) -> Adult:
    return families.add_adult(
        session,
        actor=actor,
        family=family,
        details=families.AdultDetails(
            name=given.name,
            relationship=given.relationship,
            relationship_detail="Named in the case"
            if given.relationship.startswith("other-")
            else None,
            parental_responsibility=given.parental_responsibility,
            lives_in_household=given.lives_in_household,
            child_roles={str(child.id): given.role for child in kids} if given.role else None,
        ),
    )


def _identification(case: Case, as_of: date) -> dict[str, Any]:
    answer = questions.ANSWER
    form: dict[str, Any] = {
        f"{answer}return-considered-reason": "Set out in the case's story.",
        f"{answer}identification-route": "care-plan",
        f"{answer}unplanned-return-risk": "yes" if case.unplanned_return_risk else "no",
        f"{answer}return-to": case.return_to,
        f"{answer}assessment-agreed-by": "Team manager",
        f"{answer}chronology-author": "Allocated social worker",
        **date_fields(f"{answer}assessment-agreed-date", as_of),
    }
    if case.unplanned_return_risk:
        form[f"{answer}unplanned-return-plan"] = "Carers and the family know whom to call."
    return form


def date_fields(name: str, day: date) -> dict[str, str]:
    """A date question's three form fields."""
    return {
        f"{name}-day": str(day.day),
        f"{name}-month": str(day.month),
        f"{name}-year": str(day.year),
    }


def problem_fields(prefix: str, item: str, problem: ProblemCase) -> dict[str, str]:
    """The form fields of one problem area of one parent in the capacity-to-change section."""
    at = f"{prefix}.problem-areas[{item}]"
    evidence = problem.evidence or ("behaviour-changed" if problem.since else "attendance-only")
    fields = {
        f"{at}.problem-area": problem.area,
        f"{at}.readiness-stage": problem.readiness,
        f"{at}.engaged-with-services": "yes" if problem.engaged else "no",
        f"{at}.change-evidence": evidence,
    }
    if problem.since:
        fields[f"{at}.behaviour-change-detail"] = "Seen and checked by the services involved."
        fields.update(date_fields(f"{at}.change-since", problem.since))
    if problem.relapse:
        fields.update(date_fields(f"{at}.last-relapse", problem.relapse))
    return fields


def capacity_form(parents: Iterable[tuple[Adult, AdultCase]]) -> dict[str, Any]:
    """The capacity-to-change form for (adult, case) pairs with problem areas recorded."""
    form: dict[str, Any] = {}
    for adult, given in parents:
        if not given.problems and not given.accepts_concerns:
            continue
        prefix = f"{questions.ANSWER}capacity[{adult.id}]"
        form[f"{prefix}.accepts-concerns"] = given.accepts_concerns or "fully"
        form[f"{prefix}.capacity-summary"] = "Summarised in the assessment report."
        items = [f"item{number}" for number in range(len(given.problems))]
        form[f"{questions.ITEMS}capacity[{adult.id}].problem-areas"] = items
        for item, problem in zip(items, given.problems, strict=True):
            form.update(problem_fields(prefix, item, problem))
    return form


def rate_present(
    session: Session,
    actor: Actor,
    family: Family,
    content: FrameworkContent,
    factor_ids: Sequence[str],
) -> None:
    """Rate the factors present, one factors section (domain) at a time."""
    by_section: dict[str, dict[str, str]] = {}
    for factor_id in factor_ids:
        domain = content.factors[factor_id].domain.id
        section = next(
            section.id
            for stage in content.stages
            for section in stage.sections
            if section.kind == "factors" and getattr(section, "domain", None) == domain
        )
        by_section.setdefault(section, {})[f"{questions.FACTOR}{factor_id}.status"] = "present"
    for section_id, form in by_section.items():
        _save(session, actor, family, content, section_id, form)


def print_report(report: CheckReport, out: TextIO) -> None:
    """Per family, expected against shown; then the totals docs/judgement.md quotes."""
    content = report.content
    levels = {level.id: level.label for level in content.levels}
    titles = {rule.id: rule.title for rule in content.rules.cautions}

    def named(rule_ids: Sequence[str]) -> str:
        return "; ".join(f"{titles.get(rule, rule)} ({rule})" for rule in rule_ids)

    cases = report.cases
    print(
        f"Validation cases in {cases.file} (written for {cases.framework} {cases.written_for}), "
        f"run on {content.id} {content.version}.",
        file=out,
    )
    for item in report.outcomes:
        level = item.case.expect.level
        verdict = "PASS" if item.passed(content) else "FAIL"
        raised = len(item.expected) - len(item.missing)
        print(f"\n{verdict}  {item.case.title} ({item.case.id})", file=out)
        wanted = levels[level.lowest]
        if level.highest != level.lowest:
            wanted += f" to {levels[level.highest]}"
        outside = "" if item.level_in_range(content) else "  <- outside the range"
        print(
            f"      level: suggested {levels[item.suggested]}; expected {wanted}{outside}",
            file=out,
        )
        print(
            f"      cautions: expected {len(item.expected)}, raised {raised} of them; "
            f"unexpected {len(item.unexpected)}",
            file=out,
        )
        if item.missing:
            print(f"      not raised: {named(item.missing)}", file=out)
        if item.unexpected:
            print(f"      raised but not expected: {named(item.unexpected)}", file=out)
    totals = report.totals()
    expected = totals["cautions_expected"]
    share = f" ({100 * totals['expected_raised'] // expected}%)" if expected else ""
    print(
        f"\n{totals['families']} {'family' if totals['families'] == 1 else 'families'}: "
        f"{totals['passed']} met their expectations, "
        f"{totals['families'] - totals['passed']} did not.\n"
        f"Cautions expected {expected}, raised {totals['expected_raised']}{share}; "
        f"raised but not expected {totals['unexpected']}.\n"
        f"Suggested level inside the expected range: {totals['levels_in_range']} of "
        f"{totals['families']}.",
        file=out,
    )
