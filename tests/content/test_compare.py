"""Comparing two versions names every kind of change a trainer makes, with the part of the
version number it needs: rules, scored tools, prerequisites, levels and guidance as well as
questions and factors."""

from __future__ import annotations

from app.content.compare import Bump, compare, required_bump
from app.content.loader import load_version
from app.content.model import FrameworkContent
from tests.content.broken_cases import tiny_texts


def changed(edits: dict[str, tuple[str, str]]) -> tuple[FrameworkContent, FrameworkContent]:
    texts = {name: data.decode("utf-8") for name, data in tiny_texts().items()}
    old = load_version(texts, origin="old").content
    for name, (before, after) in edits.items():
        assert before in texts[name], (name, before)
        texts[name] = texts[name].replace(before, after, 1)
    new = load_version(texts, origin="new").content
    assert old is not None
    assert new is not None
    return old, new


def test_rules_tools_prerequisites_levels_and_guidance_are_compared() -> None:
    old, new = changed(
        {
            "rules.yaml": (
                "    level: medium\n    when:\n      factor_count:",
                "    level: high\n    when:\n      factor_count:",
            ),
            "levels.yaml": ("    label: Medium\n", "    label: Moderate\n"),
            "stages/assess.yaml": ("    requires: [start]\n", "    requires: []\n"),
            "domains/alpha.yaml": ("First alpha risk", "First alpha risk, reworded"),
        }
    )
    old_tool, new_tool = changed({"rules.yaml": ("        points: 2\n", "        points: 3\n")})

    found = {(change.area, change.item_id, change.change): change for change in compare(old, new)}
    tool = compare(old_tool, new_tool)

    assert found[("rule", "two-alpha-risks", "changed")].bump >= Bump.MINOR
    assert found[("level", "medium", "changed")].bump is Bump.PATCH
    prerequisite = found[("prerequisite", "history", "changed")]
    assert prerequisite.details == ("No longer needs Start first",)
    assert prerequisite.bump is Bump.MINOR
    assert found[("factor", "al-r1", "changed")].bump is Bump.PATCH
    assert [(change.area, change.item_id) for change in tool] == [("scored tool", "example-tool")]
    assert required_bump(tool) is Bump.MINOR
    assert required_bump(compare(old, new)) is Bump.MINOR
