"""Run axe-core in a Playwright page and fail on any WCAG 2.2 A or AA violation."""

from __future__ import annotations

from typing import Any

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]


def axe_violations(page: Any) -> list[dict[str, Any]]:
    results = page.evaluate(
        """async (tags) => {
            const results = await axe.run(document, {runOnly: {type: "tag", values: tags}});
            return results.violations;
        }""",
        WCAG_TAGS,
    )
    return list(results)


def assert_accessible(page: Any) -> None:
    # A click that navigates returns once the navigation commits; axe needs the loaded page.
    page.wait_for_load_state("load")
    violations = axe_violations(page)
    if violations:
        lines = [f"axe found {len(violations)} WCAG 2.2 A/AA violation(s) on {page.url}:"]
        for violation in violations:
            targets = ", ".join(str(node["target"]) for node in violation["nodes"][:5])
            lines.append(f"- {violation['id']}: {violation['help']} ({targets})")
        raise AssertionError("\n".join(lines))
