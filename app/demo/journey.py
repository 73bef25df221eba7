"""Demo families at every point of the journey, taken there through the same services a
practitioner and a supervisor use, each step done as of the date it happened in the story
(the service's clock is set to it), so that dates, reviews and cadences read true.

- Harper: assessment drafts. Okoro: classification 1 waiting for sign-off. Nowak: sent back
  once, then signed off; agreement being written. Begum: the first review sent the goals back
  to be revised; the second review's decision is proposed and waits for a manager.
- Walsh: some progress at the first review, then a gradual return, one child home and the other
  four weeks later, visits, a review after the return (on track), and the next one under way.
  Hughes: closed, both children stayed home.
- Patel: another route to permanence chosen at the first decision. Reid: an unplanned return
  that broke down after the case closed, recorded as a return to care.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlmodel import Session, col, select

from app.content.model import FrameworkContent
from app.content.registry import ContentRegistry
from app.demo.agreement import plan_support, write_agreement
from app.demo.assessment import PRESENT, add_evidence, fill_section, form_sections
from app.models.accounts import Role, User, UserRole
from app.models.assessment import AssessmentAnswer
from app.models.family import Adult, Child, Family
from app.models.journey import Outcome
from app.services import (
    chronology,
    classification,
    decisions,
    families,
    progress,
    questions,
    returns,
)
from app.services.audit import Actor
from app.timeutil import LONDON, add_months, as_of, london_today


@dataclass
class Story:
    """One demo family's journey, told step by step through the services."""

    session: Session
    family: Family
    content: FrameworkContent
    practitioner: User
    supervisor: User

    @contextmanager
    def weeks_ago(self, weeks: float) -> Iterator[None]:
        day = london_today() - timedelta(days=round(weeks * 7))
        with as_of(datetime.combine(day, time(11, 0), tzinfo=LONDON)):
            yield

    @property
    def worker(self) -> Actor:
        return _actor(self.practitioner)

    @property
    def manager(self) -> Actor:
        return _actor(self.supervisor)

    def cycle(self) -> int:
        return self.family.current_cycle

    def fill(
        self,
        section_id: str,
        answers: dict[str, object] | None = None,
        present: Collection[str] = PRESENT,
    ) -> None:
        cycle = progress.current_cycle(self.content, self.family, section_id)
        fill_section(
            self.session,
            self.worker,
            self.family,
            self.content,
            section_id,
            complete=True,
            answers=answers,
            cycle=cycle,
            present=present,
        )

    def write_agreement(self) -> None:
        write_agreement(
            self.session, self.worker, self.family, self.content, supervisor=self.supervisor
        )

    def assess(
        self, answers: dict[str, object] | None = None, present: Collection[str] = PRESENT
    ) -> None:
        """Answer every assessment section: the usual demo answers and factors, or this
        family's own (`answers` by question id, the factors `present`)."""
        for section_id in form_sections(self.content):
            self.fill(section_id, answers, present)
        questions.complete_chronology_section(
            self.session,
            actor=self.worker,
            family=self.family,
            content=self.content,
            section_id="chronology",
        )
        add_evidence(self.session, self.worker, self.family, self.content, present)

    def classify(self, section_id: str, level: str | None = None, reason: str = "") -> None:
        timepoint = classification.classification_section(self.content, section_id).timepoint
        suggestion = classification.suggest(
            self.session, family=self.family, content=self.content, timepoint=timepoint
        )
        current = classification.latest(
            self.session,
            self.family.id,
            section_id,
            progress.current_cycle(self.content, self.family, section_id),
        )
        classification.submit(
            self.session,
            actor=self.worker,
            family=self.family,
            content=self.content,
            section_id=section_id,
            level=level or suggestion.level_id,
            rationale=reason,
            latest_id=str(current.id) if current else "",
        )

    def sign_off(
        self,
        section_id: str,
        *,
        agrees: bool = True,
        comments: str = "Agreed: the reasons are well evidenced.",
        level: str = "",
        option: str = "",
    ) -> None:
        cycle = progress.current_cycle(self.content, self.family, section_id)
        row = classification.latest(self.session, self.family.id, section_id, cycle)
        assert row is not None
        classification.review(
            self.session,
            actor=self.manager,
            family=self.family,
            content=self.content,
            classification_id=row.id,
            details=classification.Review(
                agrees=agrees, comments=comments, level=level, gate_option=option
            ),
            expected_version=row.version,
        )

    def decide(self, gate_id: str, option: str, reason: str, *, held: bool = False) -> None:
        cycle = decisions.decision_cycle(self.content, self.family, gate_id)
        gate = decisions.gate_section(self.content, gate_id)
        held_on = london_today() if held else None
        if gate.proposed_by is not None:
            self.propose(gate_id, option, reason, held=held)
        proposal = decisions.pending_proposal(self.session, self.family.id, gate_id, cycle)
        current = decisions.current_decision(self.session, self.family.id, gate_id, cycle)
        decisions.record(
            self.session,
            actor=self.manager,
            family=self.family,
            content=self.content,
            gate_id=gate_id,
            choice=decisions.Choice(
                option=option,
                reason=reason,
                held_on=held_on,
                basis=decisions.basis(proposal, current),
            ),
        )

    def propose(self, gate_id: str, option: str, reason: str, *, held: bool = False) -> None:
        cycle = decisions.decision_cycle(self.content, self.family, gate_id)
        current = decisions.current_decision(self.session, self.family.id, gate_id, cycle)
        decisions.propose(
            self.session,
            actor=self.worker,
            family=self.family,
            content=self.content,
            gate_id=gate_id,
            choice=decisions.Choice(
                option=option,
                reason=reason,
                held_on=london_today() if held else None,
                basis=decisions.basis(None, current),
            ),
        )

    def review(self, rating: str, *, evidence: str) -> None:
        """Progress on goals and new events, answered for the review under way."""
        self.fill(
            "goal-progress",
            {"goal-progress-rating": rating, "goal-progress-evidence": evidence},
        )
        self.fill("new-events")

    def note(self, what: str, source: str, grade: str, *themes: str, impact: str = "") -> None:
        """A chronology entry about something that happened today (in the story's time)."""
        chronology.add_entry(
            self.session,
            actor=self.worker,
            family=self.family,
            content=self.content,
            details=chronology.EntryDetails(
                occurred_on=london_today(),
                date_precision="day",
                source_id=source,
                what_happened=what,
                significance=grade,
                impact_on_child=impact or None,
                theme_ids=themes,
            ),
        )

    def child(self, name: str) -> Child:
        return next(
            child for child in returns.children(self.session, self.family) if child.name == name
        )

    def adult(self, name: str) -> Adult:
        return next(
            adult for adult in returns.adults(self.session, self.family) if adult.name == name
        )

    def go_home(self, child: str, carer: str, return_type: str, notes: str = "") -> None:
        record = self.child(child)
        returns.record_return(
            self.session,
            actor=self.worker,
            family=self.family,
            content=self.content,
            details=returns.ReturnDetails(
                child_id=str(record.id),
                returned_on=london_today(),
                return_type=return_type,
                carer=str(self.adult(carer).id),
                carer_name="",
                carer_has_parental_responsibility=None,
                legal_status=record.legal_status,
                notes=notes,
            ),
        )

    def visit(self, *children: str, alone: tuple[str, ...] = (), concerns: str = "") -> None:
        ids = {name: str(self.child(name).id) for name in children}
        returns.record_visit(
            self.session,
            actor=self.worker,
            family=self.family,
            content=self.content,
            details=returns.VisitDetails(
                visited_on=london_today(),
                seen=list(ids.values()),
                seen_alone=[ids[name] for name in alone],
                concerns=concerns,
                actions="Talked it through with the family and the support worker."
                if concerns
                else "",
                support_in_place=True,
            ),
        )

    def outcomes(self, outcomes: dict[str, tuple[str, str]]) -> None:
        posted = {}
        for name, (outcome, details) in outcomes.items():
            posted[str(self.child(name).id)] = returns.OutcomeDetails(
                outcome=outcome, returned_to_care_on=None, details=details, version=0
            )
        returns.save_outcomes(
            self.session,
            actor=self.worker,
            family=self.family,
            content=self.content,
            posted=posted,
            complete=True,
        )

    def after_return_review(self, option: str, reason: str) -> None:
        self.review("green", evidence="The parents have kept to the goals since the return.")
        self.fill("post-return-review")
        self.classify("classification-after-return")
        self.sign_off("classification-after-return")
        self.decide("review-after-return", option, reason, held=True)


# --- the stories ------------------------------------------------------------------------------


def harper(story: Story) -> None:
    with story.weeks_ago(2):
        fill_section(
            story.session,
            story.worker,
            story.family,
            story.content,
            "identification",
            complete=True,
        )
        fill_section(
            story.session,
            story.worker,
            story.family,
            story.content,
            "factors-substance-misuse",
            complete=False,
        )


def okoro(story: Story) -> None:
    # Grace's mental health has been stable for over a year, confirmed by her clinician, and
    # the church family helps: the rules lower the level one step. Tomi's age, the section 20
    # arrangement and his moves keep the practitioner at medium.
    with story.weeks_ago(2):
        story.assess(
            answers={
                "problem-area": "mental-health",
                "readiness-stage": "maintenance",
                "change-since": lambda today: add_months(today, -14),
                "behaviour-change-detail": (
                    "Stable on treatment since the autumn before last; her clinician and the "
                    "pastor both describe a calm home at visits."
                ),
                "capacity-summary": "Change has lasted over a year and others confirm it.",
            },
            present={"cn-r1", "pr-r1", "mo-r2", "en-p1", "fn-p1", "mh-p1", "mh-p3", "cw-p1"},
        )
        story.classify(
            "classification-before-plan",
            "medium",
            "The rules suggest low because Grace's change has lasted and is confirmed. Tomi is "
            "15, accommodated under section 20 and has moved five times, and the last return "
            "broke down: I keep the level at medium until the plan is tested with weekend stays.",
        )


def nowak(story: Story) -> None:
    with story.weeks_ago(8):
        story.assess()
        story.classify(
            "classification-before-plan", "low", "The parents have done well since the separation."
        )
    with story.weeks_ago(7):
        story.sign_off(
            "classification-before-plan",
            agrees=False,
            level="medium",
            comments="The change is recent: weigh the conviction and the months since separation.",
        )
    with story.weeks_ago(6):
        story.classify("classification-before-plan", "medium", "Change is real but recent.")
    with story.weeks_ago(4):
        story.sign_off(
            "classification-before-plan",
            option="work-towards-return",
            comments=(
                "Ewa has separated from Zofia's father, engaged fully with the domestic abuse "
                "programme for 8 months and kept every contact session."
            ),
        )
    with story.weeks_ago(1):
        fill_section(
            story.session,
            story.worker,
            story.family,
            story.content,
            "written-agreement",
            complete=False,
        )


def _agreed_plan(story: Story, start_weeks: float) -> None:
    """Assessment signed off, agreement and support plan agreed, from `start_weeks` ago."""
    with story.weeks_ago(start_weeks):
        story.assess()
        story.classify("classification-before-plan")
    with story.weeks_ago(start_weeks - 1):
        story.sign_off(
            "classification-before-plan",
            option="work-towards-return",
            comments="The parents have completed the parenting programme and the home is calm.",
        )
    with story.weeks_ago(start_weeks - 3):
        story.write_agreement()
    with story.weeks_ago(start_weeks - 4):
        story.decide(
            "agreement-sign-off", "signed-off", "Goals are specific and the parents agree them."
        )
    with story.weeks_ago(start_weeks - 5):
        plan_support(story.session, story.worker, story.family, story.content)
    with story.weeks_ago(start_weeks - 6):
        story.decide(
            "support-plan-agreed", "agreed", "Services are in place before and after the return."
        )


# Reviews fall due six weeks after the agreement is signed (`_agreed_plan`: start - 10 weeks),
# then every 12 weeks, and 4 weeks after a child goes home: the stories hold some on time (a
# few days before they are due), some late, and leave one overdue, as real teams do.


def begum(story: Story) -> None:
    _agreed_plan(story, 36)
    with story.weeks_ago(26.5):
        story.review("amber", evidence="Some progress, but two missed sessions at the service.")
        story.classify("classification-before-return")
        story.sign_off("classification-before-return")
        story.decide(
            "review-decision",
            "revise-goals",
            "The goals need to be clearer about the evening routine and school attendance.",
            held=True,
        )
    with story.weeks_ago(22):
        story.write_agreement()
    with story.weeks_ago(21):
        story.decide("agreement-sign-off", "signed-off", "The revised goals are clear and agreed.")
        story.decide("support-plan-agreed", "agreed", "The support still fits the revised goals.")
    with story.weeks_ago(1):
        story.review("green", evidence="Every goal met for three months, confirmed by the school.")
        story.classify("classification-before-return")
        story.sign_off("classification-before-return")
        story.propose(
            "review-decision",
            "proceed-gradual-return",
            "Progress has been steady for three months; start with weekend stays.",
            held=True,
        )


def walsh(story: Story) -> None:
    _agreed_plan(story, 40)
    with story.weeks_ago(31):
        story.note(
            "Sinead missed a parenting group session; she said the bus did not come.",
            "family",
            "amber",
            "service-disengagement",
        )
    with story.weeks_ago(29):
        story.note(
            "Clear drug test, the third in a row.",
            "substance-misuse-service",
            "green",
            "abstinence-confirmed",
        )
    with story.weeks_ago(28):
        story.review(
            "amber", evidence="Tests clear every month; one parenting session missed this period."
        )
        story.classify("classification-before-return")
        story.sign_off("classification-before-return")
        story.decide(
            "review-decision",
            "proceed-gradual-return",
            "Six months of steady change: overnight stays increasing over four weeks.",
            held=True,
        )
    with story.weeks_ago(20):
        story.note(
            "Family time went well; Ella asked when she could stay the whole weekend.",
            "carers",
            "green",
            "good-contact",
            impact="Ella was happy and settled at bedtime.",
        )
    with story.weeks_ago(14):
        story.go_home(
            "Ella Walsh", "Sinead Walsh", "planned-gradual", "Overnights increased over four weeks."
        )
    with story.weeks_ago(12):
        story.visit("Ella Walsh", alone=("Ella Walsh",))
    with story.weeks_ago(10):
        story.go_home("Jack Walsh", "Sinead Walsh", "planned-gradual")
    with story.weeks_ago(8):
        story.visit(
            "Ella Walsh",
            "Jack Walsh",
            alone=("Ella Walsh",),
            concerns="Jack is unsettled at bedtime.",
        )
    with story.weeks_ago(6):
        story.after_return_review(
            "continue-monitoring", "Settling well; keep visiting fortnightly."
        )
    with story.weeks_ago(2):
        story.visit("Ella Walsh", "Jack Walsh", alone=("Ella Walsh", "Jack Walsh"))


def hughes(story: Story) -> None:
    _agreed_plan(story, 90)
    with story.weeks_ago(80.5):
        story.review("green", evidence="All goals met.")
        story.classify("classification-before-return")
        story.sign_off("classification-before-return")
        story.decide(
            "review-decision", "proceed-gradual-return", "Ready to go home in steps.", held=True
        )
    with story.weeks_ago(74):
        story.go_home("Ruby Hughes", "Dean Hughes", "planned-gradual")
        story.go_home("Leah Hughes", "Dean Hughes", "planned-gradual")
    with story.weeks_ago(72):
        story.visit("Ruby Hughes", "Leah Hughes", alone=("Ruby Hughes", "Leah Hughes"))
    with story.weeks_ago(70.5):
        story.after_return_review("continue-monitoring", "Early days; keep visiting.")
    with story.weeks_ago(40):
        story.visit("Ruby Hughes", "Leah Hughes", alone=("Ruby Hughes",))
    with story.weeks_ago(26):
        story.after_return_review(
            "plan-closure", "A year at home, settled, support ending as planned."
        )
        story.outcomes(
            {
                "Ruby Hughes": (Outcome.STAYED_HOME.value, ""),
                "Leah Hughes": (Outcome.STAYED_HOME.value, ""),
            }
        )
        story.fill("closure")
    with story.weeks_ago(25):
        story.decide("closure-decision", "close", "Both children settled at home for a year.")


def patel(story: Story) -> None:
    # A new partner not yet assessed, with a conviction for violence; the father who abused the
    # mother calls at the house again; an older brother was adopted.
    with story.weeks_ago(10):
        story.assess(present={*PRESENT, "hc-r1", "hh-r5", "hh-r2"})
        story.classify("classification-before-plan")
    with story.weeks_ago(9):
        story.sign_off(
            "classification-before-plan",
            option="other-permanence",
            comments="No change in the risks after two years; plan for permanence with the carers.",
        )


def reid(story: Story) -> None:
    _agreed_plan(story, 80)
    with story.weeks_ago(70.5):
        story.review("green", evidence="Goals on track.")
        story.classify("classification-before-return")
        story.sign_off("classification-before-return")
        story.decide("review-decision", "proceed-gradual-return", "Start weekend stays.", held=True)
    with story.weeks_ago(66):
        story.go_home(
            "Kyle Reid",
            "Donna Reid",
            "unplanned",
            "Kyle went home after a weekend stay and refused to go back to his placement.",
        )
    with story.weeks_ago(64):
        story.visit("Kyle Reid", alone=("Kyle Reid",))
    with story.weeks_ago(62.5):
        story.after_return_review("continue-monitoring", "Unplanned, but holding; visit weekly.")
    with story.weeks_ago(36):
        story.after_return_review("plan-closure", "Stable for six months.")
        story.outcomes({"Kyle Reid": (Outcome.STAYED_HOME.value, "")})
        story.fill("closure")
    with story.weeks_ago(35):
        story.decide("closure-decision", "close", "Stable at home; family support continues.")
    with story.weeks_ago(6):
        returns.record_reentry(
            story.session,
            actor=story.worker,
            family=story.family,
            content=story.content,
            child_id=str(story.child("Kyle Reid").id),
            entered_on=london_today(),
            reason="Conflict at home escalated after Donna's relapse; Kyle asked to leave.",
        )


STORIES: dict[str, Callable[[Story], None]] = {
    "RIV-2026-014": harper,
    "RIV-2025-102": okoro,
    "RIV-2025-088": nowak,
    "RIV-2024-051": begum,
    "RIV-2024-077": walsh,
    "RIV-2023-019": hughes,
    "RIV-2025-131": patel,
    "RIV-2023-064": reid,
}


def _actor(user: User) -> Actor:
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


def load_demo_journeys(session: Session, registry: ContentRegistry) -> None:
    """Take each demo family to its point in the journey, unless it has started already."""
    for reference, tell in STORIES.items():
        family = session.exec(
            select(Family).where(col(Family.reference_key) == reference.upper())
        ).first()
        if family is None or family.allocated_practitioner_id is None:
            continue
        content = families.content_for(registry, family)
        # Identification is completed with the chronology (app.demo.chronology); a story
        # that has begun has answers beyond it.
        started = session.exec(
            select(AssessmentAnswer.id).where(
                col(AssessmentAnswer.family_id) == family.id,
                col(AssessmentAnswer.section_id).not_in(chronology.prerequisite_forms(content)),
            )
        ).first()
        practitioner = session.get(User, family.allocated_practitioner_id)
        supervisor = _supervisor(session, family)
        if started is not None or practitioner is None or supervisor is None:
            continue
        tell(
            Story(
                session=session,
                family=family,
                content=content,
                practitioner=practitioner,
                supervisor=supervisor,
            )
        )
        session.commit()
