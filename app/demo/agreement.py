"""A demo written agreement for each parent and a support plan, in the plain words a
practitioner would write for a parent, saved through the same section forms as users' answers.
The plan leaves one goal without a service and lets the services for another end before its
date, so the support plan shows both warnings. Every answer here is invented."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlmodel import Session

from app.content.model import FrameworkContent
from app.content.snapshot import answer_key
from app.demo.assessment import fill_section
from app.models.accounts import User
from app.models.family import Family
from app.services import questions
from app.services.agreement import AGREEMENT, CONDITIONS, GOALS, SERVICES
from app.services.audit import Actor
from app.timeutil import london_today

# (id suffix, area, title, what must change, evidence, steps, who, weeks to the date or None,
# timescale, support, if not met)
GOAL_TEXTS: tuple[tuple[str, str, str, str, str, str, str, int | None, str, str, str], ...] = (
    (
        "g1",
        "substance-misuse",
        "Stay off drink and drugs",
        "You stop using drink and drugs, and you stay stopped.",
        "Your tests are clear each month. The recovery service tells us how you are doing.",
        "Go to the recovery group each week. Take a test each month.",
        "You go to the group. Your key worker does the tests. We check the results with you.",
        None,
        "Within three months, and then for good",
        "Weekly group and a key worker at the recovery service.",
        "We will talk with you about what went wrong. The children may not come home yet.",
    ),
    (
        "g2",
        "parenting-capacity",
        "Keep a calm evening routine",
        "The children have tea, a bath and bed at the same times each day.",
        "The family support worker sees the routine on three visits in a row.",
        "Plan the evening with the support worker. Stick to the plan on contact nights.",
        "You run the routine. The support worker visits and helps you plan.",
        26,
        "",
        "A parenting course and a family support worker.",
        "We will look at the routine again with you, and give you more help.",
    ),
    (
        "g3",
        "child-needs",
        "Get the children to school every day",
        "The children get to school on time every day.",
        "The school tells us each month how often they came.",
        "Set an alarm. Walk to school with the children.",
        "You take the children. The school tells us if they are late.",
        None,
        "From the first week the children are home",
        "We will talk with the school about help in the mornings.",
        "We will meet with you and the school to make a new plan.",
    ),
)
CONDITION_TEXTS = (
    ("c1", "No one who uses drugs stays at your home.", True),
    ("c2", "You tell your social worker if anyone new moves in.", False),
)
# (id, type, for whom, areas, provider, timing, weeks from the agreement to the start, how
# often, weeks to the end or None, status, engagement)
SERVICE_TEXTS: tuple[
    tuple[str, str, str, tuple[str, ...], str, str, int, str, int | None, str, str], ...
] = (
    (
        "s1",
        "substance-misuse-treatment",
        "parent",
        ("substance-misuse",),
        "Northside Recovery Service",
        "both",
        -20,
        "Weekly group and a monthly test",
        None,
        "in-place",
        "engaging-well",
    ),
    (
        "s2",
        "parenting-programme",
        "parent",
        ("parenting-capacity",),
        "Riverside Family Centre",
        "before-return",
        0,
        "Weekly for 10 weeks",
        10,
        "ended",
        "engaging-well",
    ),
    (
        "s3",
        "family-support-worker",
        "family",
        ("parenting-capacity",),
        "Early Help team",
        "both",
        2,
        "Every two weeks",
        20,
        "in-place",
        "partly",
    ),
)


def _goal_answers(content: FrameworkContent, pid: str, agreed: date) -> dict[str, Any]:
    answers: dict[str, Any] = {}
    for (
        suffix,
        area,
        title,
        change,
        shown,
        steps,
        who,
        weeks,
        timescale,
        help_,
        if_not,
    ) in GOAL_TEXTS:
        scopes = ((AGREEMENT, pid), (GOALS, f"{pid[:8]}{suffix}"))
        due = agreed + timedelta(weeks=weeks) if weeks else None
        if "goal-timescale" not in content.questions and due is None:
            due = agreed + timedelta(weeks=12)  # earlier versions need a date
        for question_id, value in (
            ("goal-title", title),
            ("goal-area", area),
            ("goal-what-must-change", change),
            ("goal-evidence", shown),
            ("goal-steps", steps),
            ("goal-who", who),
            ("goal-by-when", due),
            ("goal-timescale", timescale or None),
            ("goal-support", help_),
            ("goal-consequence", if_not),
        ):
            answers[answer_key(question_id, *scopes)] = value
    return answers


def write_agreement(
    session: Session,
    actor: Actor,
    family: Family,
    content: FrameworkContent,
    *,
    supervisor: User,
    cycle: int = 0,
) -> None:
    """Each parent's agreement, and each child's view of it, as agreed today."""
    agreed = london_today()
    worker = actor.user.name if actor.user else "The social worker"
    people = questions.people_of(session, family)
    items: dict[str, list[str]] = {}
    by_key: dict[str, Any] = {}
    for pid, name in people.group_parents(content, AGREEMENT):
        scope = (AGREEMENT, pid)
        items[f"{AGREEMENT}[{pid}].{GOALS}"] = [f"{pid[:8]}{g[0]}" for g in GOAL_TEXTS]
        items[f"{AGREEMENT}[{pid}].{CONDITIONS}"] = [f"{pid[:8]}{c[0]}" for c in CONDITION_TEXTS]
        by_key |= _goal_answers(content, pid, agreed)
        for suffix, text, before in CONDITION_TEXTS:
            inner = (CONDITIONS, f"{pid[:8]}{suffix}")
            by_key[answer_key("condition-text", scope, inner)] = text
            by_key[answer_key("condition-before-return", scope, inner)] = before
        by_key |= {
            answer_key("agreement-strengths", scope): (
                "You love the children and they love you.\n"
                "You come to every contact, on time.\n"
                "You have been going to the recovery group for five months."
            ),
            answer_key("agreement-concerns", scope): (
                "In the past, drink and drugs got in the way of caring for the children.\n"
                "The children missed a lot of school.\n"
                "Evenings at home were not calm."
            ),
            answer_key("parent-comments", scope): (
                "I want the children home. I know I have to stay well. The school run is hard "
                "when the bus is late."
            ),
            answer_key("agreement-signed-by-parent", scope): True,
            answer_key("agreement-date", scope): agreed,
            answer_key("agreement-agreed-by", scope): (
                f"{name}, {worker} (social worker) and {supervisor.name} (team manager)"
            ),
        }
    fill_section(
        session,
        actor,
        family,
        content,
        "written-agreement",
        complete=True,
        items=items,
        by_key=by_key,
        cycle=cycle,
    )
    fill_section(
        session,
        actor,
        family,
        content,
        "child-view-of-agreement",
        complete=True,
        answers={
            "child-view-of-plan": "I want to go home. I want Mum to stay well and not drink.",
        },
        cycle=cycle,
    )


def plan_support(session: Session, actor: Actor, family: Family, content: FrameworkContent) -> None:
    """The support plan: three services, dated from the agreement's date."""
    agreed = london_today()
    ids = [f"{family.id.hex[:8]}{s[0]}" for s in SERVICE_TEXTS]
    by_key: dict[str, Any] = {}
    for item, (_s, kind, whom, areas, provider, timing, start, often, end, status, use) in zip(
        ids, SERVICE_TEXTS, strict=True
    ):
        scope = (SERVICES, item)
        for question_id, value in (
            ("service-type", kind),
            ("service-for", whom),
            ("service-areas", areas),
            ("service-provider", provider),
            ("service-timing", timing),
            ("service-start", agreed + timedelta(weeks=start)),
            ("service-frequency", often),
            ("service-end", agreed + timedelta(weeks=end) if end is not None else None),
            ("service-status", status),
            ("service-engagement", use),
        ):
            by_key[answer_key(question_id, scope)] = value
    fill_section(
        session,
        actor,
        family,
        content,
        "support-plan",
        complete=True,
        items={SERVICES: ids},
        by_key=by_key,
        answers={
            "support-after-return-months": 12,
            "carers-role": "The carers will share the children's routines with the parents.",
            "contingency-plan": "If the return starts to go wrong, we meet within two days.",
        },
    )
