"""The plain-data functions the family summary reads."""

from __future__ import annotations

from sqlmodel import Session

from app.models.accounts import Role
from app.services import assessment_summary, evidence
from tests.factories import make_adult, make_child, make_family, make_team, make_user
from tests.support.assessment import CURRENT, actor, make_entry, rate, save


def test_summary_functions_return_the_assessment_as_data(db: Session) -> None:
    team = make_team(db)
    user = make_user(db, roles=[Role.PRACTITIONER], team=team)
    family = make_family(db, team=team, allocated_to=user)
    parent = make_adult(db, family, name="Kim Harper")
    child = make_child(db, family, name="Amy Harper")
    rate(db, user, family, "factors-substance-misuse", {"sm-r1": "present", "sm-p1": "absent"})
    rate(db, user, family, "factors-domestic-abuse", {"da-r1": "present"})
    entry = make_entry(db, family, user, what="Police called to a row at home")
    evidence.link_entries(
        db,
        actor=actor(user),
        family=family,
        content=CURRENT,
        factor_id="da-r1",
        entry_ids=[str(entry.id)],
    )
    prefix = f"a.capacity[{parent.id}]"
    save(
        db,
        user,
        family,
        "capacity-to-change",
        {
            f"{prefix}.accepts-concerns": "partly",
            f"items.capacity[{parent.id}].problem-areas": "one",
            f"{prefix}.problem-areas[one].problem-area": "substance-misuse",
            f"{prefix}.problem-areas[one].readiness-stage": "contemplation",
        },
    )
    save(db, user, family, "wishes-and-feelings", {f"a.child-views[{child.id}].seen-alone": "yes"})

    domains = assessment_summary.factors_by_domain(db, family=family, content=CURRENT)
    substance = next(domain for domain in domains if domain.domain_id == "substance-misuse")
    sm_r1 = next(factor for factor in substance.risk if factor.factor_id == "sm-r1")
    assert sm_r1.status_label == "Present"
    assert sm_r1.present_without_evidence
    abuse = next(domain for domain in domains if domain.domain_id == "domestic-abuse")
    da_r1 = next(factor for factor in abuse.risk if factor.factor_id == "da-r1")
    assert not da_r1.present_without_evidence
    assert da_r1.evidence[0].description == "Police called to a row at home"

    (capacity,) = assessment_summary.capacity_to_change(db, family=family, content=CURRENT)
    assert capacity.name == "Kim Harper"
    assert capacity.answers[0].answer == "Partly"
    assert capacity.problem_areas[0].label == "Parental substance misuse"
    readiness = {row.question_id: row.answer for row in capacity.problem_areas[0].answers}
    assert readiness["readiness-stage"] == "Thinking about change"

    (views,) = assessment_summary.children_views(db, family=family, content=CURRENT)
    assert views.name == "Amy Harper"
    assert views.answers[0].answer == "Yes"
    assert assessment_summary.classification_history(db, family=family) == []
    assert assessment_summary.decision_history(db, family=family, content=CURRENT) == []
