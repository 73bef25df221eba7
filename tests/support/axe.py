"""Run axe-core in a Playwright page and fail on any WCAG 2.2 A or AA violation."""

from __future__ import annotations

import weakref
from functools import cache
from pathlib import Path
from typing import Any

AXE_SCRIPT = Path(__file__).resolve().parent.parent / "vendor" / "axe-core-4.14.1.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]


@cache
def _axe_source() -> str:
    return AXE_SCRIPT.read_text(encoding="utf-8")


def _add_axe(page: Any) -> None:
    """axe-core goes into a page only when the page is checked. (As an init script, Chromium
    compiled its half a megabyte again at every navigation, checked or not: about a fifth of
    its processor time per navigation.) Evaluated through the DevTools protocol, so the page's
    Content Security Policy does not apply to it."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(_axe_source())


def axe_violations(page: Any) -> list[dict[str, Any]]:
    _add_axe(page)
    results = page.evaluate(
        """async (tags) => {
            // Only violations are reported, so only theirs get selectors built (axe builds a
            // selector for every node of every result type otherwise, most of its time).
            const results = await axe.run(document, {
                runOnly: {type: "tag", values: tags},
                resultTypes: ["violations"],
            });
            return results.violations;
        }""",
        WCAG_TAGS,
    )
    return list(results)


# homeward.js marks <html> ready once its scripts have started, and busy while htmx has a
# request in flight.
_READY = (
    "() => document.documentElement.hasAttribute('data-hw-ready')"
    " && !document.documentElement.hasAttribute('data-hw-busy')"
)


# Contexts with JavaScript switched off: their pages never give the signal.
_WITHOUT_JAVASCRIPT: weakref.WeakSet[Any] = weakref.WeakSet()


def without_javascript(context: Any) -> None:
    _WITHOUT_JAVASCRIPT.add(context)


def wait_until_ready(page: Any) -> None:
    """Wait for the page's own ready signal: loaded, its scripts started, no htmx request in
    flight (without JavaScript: loaded)."""
    page.wait_for_load_state("load")
    if page.context not in _WITHOUT_JAVASCRIPT:
        page.wait_for_function(_READY)


def assert_accessible(page: Any) -> None:
    # A click that navigates returns once the navigation commits; axe needs the page as the
    # person sees it, after its scripts and any htmx swap.
    wait_until_ready(page)
    violations = axe_violations(page)
    if violations:
        lines = [f"axe found {len(violations)} WCAG 2.2 A/AA violation(s) on {page.url}:"]
        for violation in violations:
            targets = ", ".join(str(node["target"]) for node in violation["nodes"][:5])
            lines.append(f"- {violation['id']}: {violation['help']} ({targets})")
        raise AssertionError("\n".join(lines))
