"""Two checkouts of the app side by side, driven in turn, for a before-and-after on a noisy
machine.

    git worktree add /tmp/before <commit>
    .venv/bin/python bench/compare.py --before /tmp/before \\
        --database-url postgresql+psycopg://... [--rounds 6] [--seconds 3] [--only chronology]

Each checkout's app is started with `python -m app serve` (one worker, production mode, this
environment's interpreter and packages, so both must need the same ones) on the same
database, which must hold data from `bench/generate.py`. For each round and page, `wrk`
drives one app and then the other for `--seconds` with 1 user. A moment when the machine is
slow then falls on both, where `bench/run.py` run twice would meet different moments.

For each page it prints the processor time the app's process used per request (from
/proc/<pid>/stat; the median over the rounds) and the median latency (the median of the
rounds' medians), before and after. Only pages drawn in the app's own process are offered:
a PDF is drawn in another. Figures to read, never assertions."""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import sys
import tempfile
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.config import PROJECT_ROOT
from bench.run import (
    RESULTS,
    WRK,
    Page,
    check,
    find_dataset,
    headers_for,
    pages,
    server,
    sign_in,
    wrk,
)

TICKS = os.sysconf("SC_CLK_TCK")


def processor_seconds(pid: int) -> float:
    """User and system time the process has used (/proc/<pid>/stat, fields 14 and 15)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


@dataclass
class Side:
    name: str
    root: Path
    base: str = ""
    pid: int = 0
    cookies: dict[str, dict[str, str]] = field(default_factory=dict)
    # Per page: each round's processor ms per request and median latency in ms.
    processor: dict[str, list[float]] = field(default_factory=dict)
    latency: dict[str, list[float]] = field(default_factory=dict)


def measure(side: Side, page: Page, seconds: float) -> None:
    headers = headers_for(page, side.cookies)
    before = processor_seconds(side.pid)
    figures = wrk(side.base, page.paths, headers, users=1, seconds=seconds)
    used = processor_seconds(side.pid) - before
    side.processor.setdefault(page.name, []).append(1000 * used / max(1, figures.requests))
    side.latency.setdefault(page.name, []).append(figures.p50_ms)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", type=Path, required=True, help="the other checkout")
    parser.add_argument(
        "--database-url", default=f"sqlite:///{PROJECT_ROOT / 'data' / 'bench.sqlite3'}"
    )
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--seconds", type=float, default=3, help="per page, app and round")
    parser.add_argument(
        "--only", help="only pages whose name contains one of these texts (comma-separated)"
    )
    parser.add_argument("--out", type=Path, help="the JSON file (default: bench/results/...)")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    if not Path(WRK).is_absolute():
        raise SystemExit("wrk is not installed: apt-get install wrk")
    if not (args.before / "app" / "__main__.py").exists():
        raise SystemExit(f"{args.before} is not a checkout of Homeward.")
    data = find_dataset(args.database_url)
    wanted = [text.strip() for text in (args.only or "").split(",") if text.strip()]
    chosen = [
        page
        for page in pages(data)
        if page.content_type == "text/html"
        and (not wanted or any(text in page.name for text in wanted))
    ]
    sides = [Side("before", args.before.resolve()), Side("after", PROJECT_ROOT)]
    started = datetime.now(UTC)
    out = args.out or RESULTS / f"compare-{started:%Y%m%dT%H%M%S}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        for side in sides:
            folder = Path(stack.enter_context(tempfile.TemporaryDirectory()))
            log = out.with_name(f"{out.stem}-{side.name}.log")
            side.base, process = stack.enter_context(
                server(args.database_url, 1, folder, log, root=side.root)
            )
            side.pid = process.pid
            side.cookies = {
                "practitioner": sign_in(side.base, data.practitioner),
                "supervisor": sign_in(side.base, data.supervisor),
                "": {},
            }
            for page in chosen:
                check(side.base, page, headers_for(page, side.cookies))
                wrk(side.base, page.paths, headers_for(page, side.cookies), users=1, seconds=2)
        for round_number in range(1, args.rounds + 1):
            for page in chosen:
                for side in sides:
                    measure(side, page, args.seconds)
            print(f"  round {round_number} of {args.rounds} done", flush=True)
    print()
    print(f"{'page':32} | processor ms a request | median latency ms")
    print(f"{'':32} |   before    after      |   before    after")
    print("-" * 78)
    for page in chosen:
        cells = [statistics.median(side.processor[page.name]) for side in sides] + [
            statistics.median(side.latency[page.name]) for side in sides
        ]
        print(
            f"{page.name:32} | {cells[0]:8.1f} {cells[1]:8.1f}      | "
            f"{cells[2]:8.1f} {cells[3]:8.1f}"
        )
    out.write_text(
        json.dumps(
            {
                "started": started.isoformat(),
                "before": str(sides[0].root),
                "rounds": args.rounds,
                "seconds": args.seconds,
                "pages": {
                    page.name: {
                        side.name: {
                            "processor_ms": side.processor[page.name],
                            "median_ms": side.latency[page.name],
                        }
                        for side in sides
                    }
                    for page in chosen
                },
            },
            indent=2,
        )
    )
    print(f"written to {out}")


if __name__ == "__main__":
    main()
