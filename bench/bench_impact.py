"""A draft's impact at a large council's scale: how long the trainer's impact page takes to
count, over thousands of families on the older version, whose suggested level or cautions the
draft would change.

    .venv/bin/python bench/bench_impact.py                      # 2,000 families, SQLite
    .venv/bin/python bench/bench_impact.py --families 5000 \\
        --database-url postgresql+psycopg://homeward:homeward@127.0.0.1:5432/homeward_bench

The families come from the scale-data generator (bench/generate.py, on the newest bundled
version); the draft is that version with one rule raised a level, so some families change.
`--reuse` measures a database the generator has already filled (nothing is written to it).
Prints the time for all families, per family, and the SQL statements sent per family. Figures
to read, never assertions."""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from sqlalchemy import event, func, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.config import PROJECT_ROOT
from app.content.loader import load_version, read_version_dir
from app.content.model import FrameworkContent
from app.content.registry import load_registry
from app.db import make_engine, open_session
from app.models.family import Family
from app.services.content_impact import impact
from bench import generate

AS_OF = date(2026, 11, 2)
RAISED_RULE = "      A child in the family has suffered serious harm."


def draft_of(content: FrameworkContent) -> FrameworkContent:
    """The version as a trainer's draft would change it: past serious harm sets Very high."""
    folder = PROJECT_ROOT / "framework_content" / content.id / content.version
    texts = {name: data.decode("utf-8") for name, data in read_version_dir(folder).items()}
    rules = texts["rules.yaml"]
    start = rules.index("  - id: serious-harm\n")
    end = rules.index(RAISED_RULE, start)
    texts["rules.yaml"] = (
        rules[:start] + rules[start:end].replace("level: high", "level: very-high") + rules[end:]
    )
    result = load_version(texts, origin="draft")
    assert result.content is not None, [str(error) for error in result.errors]
    return result.content


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default="", help="default: a new SQLite file")
    parser.add_argument("--families", type=int, default=2_000)
    parser.add_argument("--entries", type=int, default=0, help="default: 50 a family")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--reuse", action="store_true", help="the database is already filled")
    args = parser.parse_args(argv)
    folder = tempfile.TemporaryDirectory()
    url = args.database_url or f"sqlite:///{Path(folder.name) / 'impact.sqlite3'}"
    if not args.reuse:
        began = time.perf_counter()
        generate.main(
            [
                "--database-url",
                url,
                "--families",
                str(args.families),
                "--entries",
                str(args.entries or args.families * 50),
                "--as-of",
                AS_OF.isoformat(),
                "--reset",
            ]
        )
        print(f"Generated in {time.perf_counter() - began:.0f} s.")
    registry = load_registry(PROJECT_ROOT / "framework_content")
    engine = make_engine(url)
    with open_session(engine) as session:
        latest = registry.latest(generate.latest_content("reunification").id)
        families = session.exec(
            select(func.count()).where(Family.framework_version == latest.version)  # type: ignore[arg-type]
        ).one()[0]
    new = draft_of(latest)
    statements = 0

    def count(*_: object) -> None:
        nonlocal statements
        statements += 1

    event.listen(engine, "before_cursor_execute", count)
    timings, cpu = [], []
    for _ in range(args.rounds):
        with open_session(engine) as session:
            statements = 0
            started, used = time.perf_counter(), time.process_time()
            result = impact(session, registry=registry, new=new, as_of=AS_OF)
            timings.append(time.perf_counter() - started)
            cpu.append(time.process_time() - used)
    median = statistics.median(timings)
    checked = max(result.checked, 1)
    print(
        f"Impact of a draft over {result.checked:,} families on {latest.id} {latest.version} "
        f"({engine.dialect.name}, {families:,} on that version):"
    )
    print(
        f"  median {median:.2f} s, slowest {max(timings):.2f} s over {args.rounds} rounds "
        f"({median / checked * 1000:.1f} ms a family); this process's own CPU time "
        f"{statistics.median(cpu):.2f} s ({statistics.median(cpu) / checked * 1000:.1f} ms a "
        f"family); {statements:,} SQL statements in all"
    )
    print(f"  machine load (1, 5, 15 min): {', '.join(f'{n:.1f}' for n in os.getloadavg())}")
    print(
        f"  would change: {result.changed:,} (level up {result.level_up:,}, down "
        f"{result.level_down:,}; cautions added {result.cautions_added:,}, removed "
        f"{result.cautions_removed:,})"
    )
    engine.dispose()
    folder.cleanup()


if __name__ == "__main__":
    main()
