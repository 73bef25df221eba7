"""Version 1.3.0 holds every risk factor to a rule or a reason, and a trainer's draft made from
it is held to the same: the content studio checks drafts exactly as published versions load."""

from __future__ import annotations

from app.config import PROJECT_ROOT
from app.content.loader import read_version_dir
from app.services.content_studio import check_texts

V13 = PROJECT_ROOT / "framework_content" / "reunification" / "1.3.0"


def texts() -> dict[str, str]:
    return {name: data.decode() for name, data in read_version_dir(V13).items()}


def test_every_risk_factor_of_1_3_0_is_read_by_a_rule_or_says_why_not() -> None:
    check = check_texts(texts(), "reunification")
    assert check.ok, [str(error) for error in check.result.errors]
    content = check.content
    assert content is not None
    assert content.rules.factor_coverage == "risk"
    unread = {
        factor_id
        for factor_id, info in content.factors.items()
        if info.kind == "risk" and info.factor.not_read_because
    }
    # A handful say why not; every other risk factor is named by a rule or caution.
    assert unread == {"cn-r4", "cn-r5", "hh-r3", "hc-r4", "hc-r5", "pr-r4"}
    # Every threshold cites a source the version defines, and the three problem areas the
    # research singles out ask for a year.
    for area in ("substance-misuse", "domestic-abuse", "mental-health"):
        entry = content.sustained_change(area)
        assert entry is not None
        assert (entry.problem_area, entry.months, entry.relapse_months) == (area, 12, 12)
        assert all(content.source(source_id) for source_id in entry.sources)
    general = content.sustained_change("motivation")
    assert general is not None
    assert (general.problem_area, general.months) == (None, 6)


def test_a_trainers_new_risk_factor_without_a_rule_is_refused_until_it_says_why() -> None:
    draft = texts()
    name = "domains/practical.yaml"
    new_factor = (
        "  - id: hf-r5\n"
        "    text: The family is about to be evicted\n"
        "    guidance: Ask the housing officer.\n"
        "protective_factors:\n"
    )
    draft[name] = draft[name].replace("protective_factors:\n", new_factor, 1)

    check = check_texts(draft, "reunification")

    (error,) = check.errors_for(name)
    assert 'no rule, caution or tool reads the risk factor "hf-r5"' in str(error)
    line = draft[name].splitlines().index("  - id: hf-r5") + 1
    assert f"line {line}," in str(error)
    assert "risk_factors[4].id" in str(error)

    draft[name] = draft[name].replace(
        "    guidance: Ask the housing officer.\n",
        "    guidance: Ask the housing officer.\n"
        "    not_read_because: Weighed with the practical arrangements in the support plan.\n",
    )
    assert check_texts(draft, "reunification").ok


def test_a_draft_using_the_new_rule_syntax_validates_and_a_wrong_one_names_the_fix() -> None:
    draft = texts()
    rules = draft["rules.yaml"]
    draft["rules.yaml"] = rules.replace(
        "  - problem_area: mental-health\n    months: 12\n    relapse_months: 12\n",
        "  - problem_area: mental-health\n    months: 9\n    relapse_months: 6\n",
        1,
    )
    assert check_texts(draft, "reunification").ok

    # Without a general entry, a test on every problem area has no time to compare with.
    start = rules.index("  - months: 6\n")
    end = rules.index("  - problem_area: substance-misuse\n")
    draft["rules.yaml"] = rules[:start] + rules[end:]
    errors = [str(error) for error in check_texts(draft, "reunification").result.errors]
    assert errors
    assert all("rules.yaml" in error for error in errors)
    assert any(
        "change_lasting needs to know how many months change must last in every problem area"
        in error
        for error in errors
    )
