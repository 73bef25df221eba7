"""Comparing two versions names every kind of change a trainer makes, with the part of the
version number it needs: rules, scored tools, prerequisites, levels and guidance as well as
questions and factors."""

from __future__ import annotations

from app.content.compare import Bump, compare, required_bump
from app.content.loader import load_version
from app.content.model import FrameworkContent
from tests.content.broken_cases import EXTRA_TOOL, tiny_texts


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


def test_a_tool_in_its_own_file_and_its_discretion_are_compared() -> None:
    old, new = changed(
        {"rules.yaml": ("    discretionary_levels: 1\n", "    discretionary_levels: 2\n")}
    )
    texts = {name: data.decode("utf-8") for name, data in tiny_texts().items()}
    added = load_version({**texts, "tools/extra.yaml": EXTRA_TOOL}, origin="new").content
    assert added is not None

    (change,) = compare(old, new)
    (addition,) = compare(old, added)

    assert change.details == ("How far a practitioner may move its level changed",)
    assert change.bump is Bump.MINOR
    assert (addition.area, addition.item_id, addition.change) == ("scored tool", "extra", "added")
    assert required_bump([addition]) is Bump.MINOR
