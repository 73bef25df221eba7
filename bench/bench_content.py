"""Time to load and validate all bundled content (cold, no cache), and to run the rules."""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable
from datetime import date

from app.config import PROJECT_ROOT
from app.content.loader import clear_cache, find_version_dirs, load_version_dir
from app.content.model import FrameworkContent
from app.content.rules import evaluate
from app.content.snapshot import (
    ChildFacts,
    ChronologyStats,
    CountStats,
    FactorState,
    FamilySnapshot,
    ParentProblem,
    answer_key,
)

CONTENT_DIR = PROJECT_ROOT / "framework_content"
ROUNDS = 30
RULE_ROUNDS = 300


def timed(
    action: Callable[[], object], rounds: int, before: Callable[[], None] | None = None
) -> list[float]:
    timings = []
    for _ in range(rounds):
        if before is not None:
            before()
        started = time.perf_counter()
        action()
        timings.append((time.perf_counter() - started) * 1000)
    return sorted(timings)


def load_all() -> list[FrameworkContent]:
    results = [load_version_dir(path) for path in find_version_dirs(CONTENT_DIR)]
    assert all(result.ok for result in results), [r.errors for r in results if not r.ok]
    return [result.content for result in results if result.content is not None]


def large_snapshot(content: FrameworkContent) -> FamilySnapshot:
    """A family with every factor recorded, several children and parents and a long history."""
    rng = random.Random(4)
    vocabulary = content.vocabulary
    children = tuple(
        ChildFacts(
            id=f"c{number}",
            label=f"Child {number}",
            age_years=rng.randint(0, 17),
            legal_status=rng.choice(vocabulary.legal_statuses).id,
            entry_reasons=frozenset(rng.sample([t.id for t in vocabulary.entry_reasons], 2)),
            months_in_care=rng.randint(1, 60),
            placement_moves=rng.randint(0, 8),
            earlier_returns=rng.randint(0, 3),
            earlier_breakdowns=rng.randint(0, 2),
        )
        for number in range(8)
    )
    parents = tuple(
        ParentProblem(
            parent_id=f"p{number % 3}",
            parent_label=f"Parent {number % 3}",
            problem_area=rng.choice(content.domains).id,
            readiness_stage=rng.choice(vocabulary.readiness_stages).id,
            months_sustained=rng.randint(0, 24),
            engaged=rng.random() < 0.5,
        )
        for number in range(12)
    )
    statuses = ["present", "absent", "unknown"]
    factors = {
        factor_id: FactorState(rng.choice(statuses), rng.randint(0, 6))  # type: ignore[arg-type]
        for factor_id in content.factors
    }
    windows = sorted(content.chronology_windows)
    themes = {
        theme.id: CountStats(
            count=rng.randint(0, 40),
            first=date(2015, 1, 1),
            last=date(2025, 1, 1),
            within_months={window: rng.randint(0, 10) for window in windows},
        )
        for theme in content.chronology.themes
    }
    answers: dict[str, object] = {}
    for question_id in content.questions:
        for child in children:
            answers[answer_key(question_id, ("group", child.id))] = rng.choice(
                [True, False, "text", 3, "unplanned", ("a", "b")]
            )
    return FamilySnapshot(
        as_of=date(2025, 6, 30),
        answers=answers,  # type: ignore[arg-type]
        factors=factors,
        children=children,
        parents=parents,
        chronology=ChronologyStats(entries=500, themes=themes),
        earlier_levels=("high", "medium"),
    )


def report(name: str, timings: list[float], unit: str = "ms") -> None:
    median = statistics.median(timings)
    p95 = timings[int(len(timings) * 0.95) - 1]
    print(f"{name:44} median {median:7.2f} {unit}   p95 {p95:7.2f} {unit}   ({len(timings)} runs)")


def main() -> None:
    contents = load_all()
    versions = ", ".join(f"{content.id} {content.version}" for content in contents)
    print(f"Bundled content: {versions}")
    report("load and validate all content, cold", timed(load_all, ROUNDS, clear_cache))
    report("load all content, cached by hash", timed(load_all, ROUNDS))
    content = next(content for content in contents if content.id == "reunification")
    snapshot = large_snapshot(content)
    print(
        f"Large snapshot: {len(snapshot.answers)} answers, {len(snapshot.factors)} factors, "
        f"{len(snapshot.children)} children, {len(snapshot.parents)} parent problem areas"
    )
    report(
        "evaluate every rule and caution", timed(lambda: evaluate(content, snapshot), RULE_ROUNDS)
    )


if __name__ == "__main__":
    main()
