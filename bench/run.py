"""Drive Homeward as users run it: uvicorn with production settings, signed-in users, wrk.

    .venv/bin/python bench/run.py --database-url postgresql+psycopg://... [--workers 2]
    .venv/bin/python bench/run.py --database-url sqlite:///data/bench.sqlite3 --mixed

The database must hold data from `bench/generate.py` (the benchmark signs in as the first
practitioner and a supervisor of the first team, and reads families GEN-000001 with 5,000
entries and GEN-000002 with 300). The app is started with `python -m app serve` in production
mode (a random secret key, secure cookies) and driven over loopback by `wrk` (Debian package
`wrk`), one page at a time, at each number of concurrent users (connections): median and 95th
percentile latency, requests per second, errors. A signed-out page that touches no database is
measured before and after the pages, and each page's throughput is given as a ratio to it at
the same concurrency, so that figures compare across machines and busy moments. The same page
signed in, and a family's smallest page, are measured first: the ratios no page that checks
who is asking, or no family page, can pass.

`--mixed` then runs readers over several pages while writers add chronology entries, for the
slowest request under contention (SQLite's target: none over a second). The memory of every
app process is sampled throughout: the peak, and what each holds after the run.

Prints a table and writes everything to a JSON file (bench/results/ by default). Timings here
are figures to read, never assertions."""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx2 as httpx
from sqlalchemy import func
from sqlmodel import Session, col, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.config import PROJECT_ROOT
from app.db import describe_database, make_engine
from app.memory import IDLE_SECONDS
from app.models.accounts import Role, User, UserRole
from app.models.chronology import ChronologyEntry
from app.models.family import Family
from bench.generate import BENCH_PASSWORD, REFERENCE, analyse

MAX_SECONDS = 180
# Each measurement follows this long of its requests, unmeasured (see measure_page).
WARM_UP_SECONDS = 2.0
STARTUP_SECONDS = 600
RESULTS = PROJECT_ROOT / "bench" / "results"
WRK = shutil.which("wrk") or "wrk"
CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass(frozen=True)
class Page:
    """A page as the benchmark requests it: one or more paths, taken in turn."""

    name: str
    paths: tuple[str, ...]
    user: str = "practitioner"  # "practitioner", "supervisor" or "" (signed out)
    htmx: bool = False
    content_type: str = "text/html"


@dataclass
class Figures:
    users: int
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    errors: int
    ratio: float | None = None


@dataclass
class PageResult:
    name: str
    paths: tuple[str, ...]
    figures: list[Figures] = field(default_factory=list)


# --- the data the benchmark uses ---------------------------------------------------------------


@dataclass(frozen=True)
class Dataset:
    practitioner: str
    supervisor: str
    giant: str  # family ids
    medium: str
    caseload: tuple[str, ...]  # the practitioner's families, for pages taken in turn
    families: int
    entries: int


def refresh_statistics(url: str) -> None:
    """PostgreSQL's planner statistics made fresh, as autovacuum keeps them in production.
    Earlier runs' own audit entries (thousands of views of the same few families) and a
    restart after a crash (which resets autovacuum's counts) otherwise leave them old: the
    summary's count of changes since the last review then took 6.5 ms instead of 0.04 ms."""
    engine = make_engine(url)
    analyse(engine)
    engine.dispose()


def find_dataset(url: str) -> Dataset:
    engine = make_engine(url)
    with (
        engine.connect().execution_options(sqlite_begin="DEFERRED") as connection,
        Session(bind=connection) as session,
    ):

        def family(reference: str) -> Family:
            found = session.exec(select(Family).where(col(Family.reference_key) == reference))
            row = found.first()
            if row is None:
                raise SystemExit(
                    f"{describe_database(url)} has no family {reference}: "
                    "load it with bench/generate.py first."
                )
            return row

        giant, medium = family(REFERENCE.format(1)), family(REFERENCE.format(2))
        practitioner = session.exec(
            select(User.email).where(col(User.id) == giant.allocated_practitioner_id)
        ).one()
        supervisor = session.exec(
            select(User.email)
            .join(UserRole, col(UserRole.user_id) == col(User.id))
            .where(col(User.team_id) == giant.team_id, col(UserRole.role) == Role.SUPERVISOR)
            .order_by(col(User.email))
        ).first()
        caseload = session.exec(
            select(Family.id)
            .where(
                col(Family.allocated_practitioner_id) == giant.allocated_practitioner_id,
                col(Family.deleted_at).is_(None),
            )
            .order_by(col(Family.reference_key))
        ).all()
        families = session.exec(select(func.count()).select_from(Family)).one()
        entries = session.exec(select(func.count()).select_from(ChronologyEntry)).one()
    engine.dispose()
    if supervisor is None:
        raise SystemExit("The first team has no supervisor: load the data with bench/generate.py.")
    return Dataset(
        practitioner=practitioner,
        supervisor=supervisor,
        giant=str(giant.id),
        medium=str(medium.id),
        caseload=tuple(str(family_id) for family_id in caseload),
        families=families,
        entries=entries,
    )


def pages(data: Dataset) -> list[Page]:
    """The key pages. Pages of one family are taken in turn over the practitioner's caseload
    (except the giant family, measured on its own), so no one family's rows stay hot."""
    turn = tuple(family for family in data.caseload if family != data.giant)
    return [
        # The floors under every key page's ratio. The static page signed in reads who is
        # asking and the content version; the content version page is a family's smallest page:
        # that, the family and the practitioner's access to it, the audit of the read, and a
        # page with little of the family in it.
        Page("static page (signed in)", ("/accessibility",)),
        Page("content version page", tuple(f"/families/{f}/version" for f in turn)),
        Page("caseload", ("/families",)),
        Page("team view", ("/families?scope=team",), user="supervisor"),
        Page("family overview", tuple(f"/families/{f}" for f in turn)),
        Page("chronology page", tuple(f"/families/{f}/chronology" for f in turn)),
        Page(
            "chronology page 2 (htmx)",
            tuple(f"/families/{f}/chronology?page=2" for f in turn),
            htmx=True,
        ),
        Page("chronology, 5,000 entries", (f"/families/{data.giant}/chronology",)),
        Page(
            "chronology p.150 (htmx), 5,000",
            (f"/families/{data.giant}/chronology?page=150",),
            htmx=True,
        ),
        Page(
            "assessment page",
            tuple(f"/families/{f}/sections/factors-substance-misuse" for f in turn),
        ),
        Page(
            "classification page",
            tuple(f"/families/{f}/classification/classification-before-plan" for f in turn),
        ),
        Page("summary, 300 entries", (f"/families/{data.medium}/summary",), user="supervisor"),
        Page("summary, 5,000 entries", (f"/families/{data.giant}/summary",), user="supervisor"),
        Page(
            "summary PDF, 5,000",
            (f"/families/{data.giant}/summary.pdf",),
            user="supervisor",
            content_type="application/pdf",
        ),
        Page(
            "summary Word, 5,000",
            (f"/families/{data.giant}/summary.docx",),
            user="supervisor",
            content_type="application/vnd.openxmlformats-officedocument",
        ),
        Page(
            "chronology CSV, 5,000",
            (f"/families/{data.giant}/chronology/export.csv",),
            content_type="text/csv",
        ),
        Page("access log report", (f"/families/{data.medium}/access-log",), user="supervisor"),
    ]


# --- the server --------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def server(
    url: str, workers: int, data_dir: Path, keep_log: Path, root: Path = PROJECT_ROOT
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`python -m app serve` as production runs it, until the block ends; its log is copied
    to `keep_log`. `root`: the checkout whose app it is (bench/compare.py)."""
    port = free_port()
    environment = {
        **os.environ,
        "HOMEWARD_ENVIRONMENT": "production",
        "HOMEWARD_SECRET_KEY": secrets.token_urlsafe(48),
        "DATABASE_URL": url,
        "HOMEWARD_DATA_DIR": str(data_dir),
        "WEB_CONCURRENCY": str(workers),
    }
    command = [sys.executable, "-m", "app", "serve", "--host", "127.0.0.1", "--port", str(port)]
    log = (data_dir / "server.log").open("wb")
    process = subprocess.Popen(  # noqa: S603
        command, cwd=root, env=environment, stdout=log, stderr=subprocess.STDOUT
    )
    base = f"http://127.0.0.1:{port}"
    try:
        # On a busy shared machine the app has taken over two minutes to start.
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            if process.poll() is not None:
                raise SystemExit(
                    "The app did not start:\n" + (data_dir / "server.log").read_text()[-3000:]
                )
            try:
                if httpx.get(base + "/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"The app did not answer /healthz within {STARTUP_SECONDS} s.")
            time.sleep(0.3)
        yield base, process
    except BaseException:
        log.flush()
        print("The app's log ends:\n" + (data_dir / "server.log").read_text()[-4000:])
        raise
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
        # Kept beside the figures: errors and warnings under load are read from it.
        shutil.copy(data_dir / "server.log", keep_log)


DRAWING_ONE = "a child drawing one PDF"


def _role(parent: str | None, pid: int) -> str:
    """What a process under the app's supervisor is, from its command line and its parent."""
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        command = b""
    if parent == "PDF drawing server":
        return DRAWING_ONE
    if b"resource_tracker" in command:
        return "multiprocessing's resource tracker"
    if b"app.summary.drawing" in command:
        return "PDF drawing server"
    return "worker" if parent == "supervisor" else "process"


class MemoryWatch:
    """Samples the resident memory of the server and its worker processes from /proc."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak: dict[int, int] = {}
        self.last: dict[int, int] = {}
        self.roles: dict[int, str] = {pid: "supervisor"}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> MemoryWatch:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.sample()
        self._stop.set()
        self._thread.join()

    def _processes(self) -> list[int]:
        found, queue = [], [self.pid]
        while queue:
            pid = queue.pop()
            found.append(pid)
            for task in Path(f"/proc/{pid}/task").glob("*/children"):
                with suppress(OSError):  # the process ended meanwhile
                    children = [int(child) for child in task.read_text().split()]
                    queue.extend(children)
                    for child in children:
                        # Again while unknown: a process just started may not have its
                        # command line yet.
                        if self.roles.get(child, "process") == "process":
                            self.roles[child] = _role(self.roles.get(pid), child)
        return found

    def sample(self) -> None:
        current = {}
        for pid in self._processes():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            match = re.search(r"VmRSS:\s+(\d+) kB", status)
            if match:
                current[pid] = int(match.group(1)) * 1024
        self.last = current
        for pid, rss in current.items():
            self.peak[pid] = max(self.peak.get(pid, 0), rss)

    def _run(self) -> None:
        while not self._stop.wait(0.5):
            self.sample()

    def cpu_seconds(self) -> float:
        total = 0
        for pid in self._processes():
            with suppress(OSError, IndexError):
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                # utime, stime, and the same of children that have ended: a PDF is drawn in a
                # child that ends, and its time must not vanish from the sum when it does.
                total += sum(int(field) for field in fields[11:15])
        return total / os.sysconf("SC_CLK_TCK")

    def settle(self, limit: float = 300) -> None:
        """Wait until the app is idle: requests a load generator gave up on (it stops at the
        end of its time, the app finishes what it started) must not slow the next figure."""
        deadline = time.monotonic() + limit
        before = self.cpu_seconds()
        while time.monotonic() < deadline:
            time.sleep(0.5)
            now = self.cpu_seconds()
            if now - before < 0.05:
                return
            before = now


# --- users and requests ------------------------------------------------------------------------


def cookie_header(response: httpx.Response, jar: dict[str, str]) -> dict[str, str]:
    """Keep the cookies a response sets. Production cookies are Secure, which an http client
    would not send back over plain loopback HTTP, so they are carried by hand."""
    for header in response.headers.get_list("set-cookie"):
        cookie: SimpleCookie = SimpleCookie()
        cookie.load(header)
        for name, morsel in cookie.items():
            if morsel["max-age"] == "0" or not morsel.value:
                jar.pop(name, None)
            else:
                jar[name] = morsel.value
    return jar


def sign_in(base: str, email: str) -> dict[str, str]:
    jar: dict[str, str] = {}
    with httpx.Client(base_url=base, timeout=30) as client:
        page = client.get("/sign-in")
        cookie_header(page, jar)
        token = CSRF_INPUT.search(page.text)
        assert token, "no CSRF token on the sign-in page"
        response = client.post(
            "/sign-in",
            data={"email": email, "password": BENCH_PASSWORD, "csrf_token": token.group(1)},
            headers={"Cookie": "; ".join(f"{k}={v}" for k, v in jar.items())},
        )
        cookie_header(response, jar)
        if response.status_code != 303:
            raise SystemExit(f"Signing in as {email} failed ({response.status_code}).")
    return jar


def headers_for(page: Page, cookies: dict[str, dict[str, str]]) -> dict[str, str]:
    headers = {"Accept": "text/html"}
    if page.user:
        headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies[page.user].items())
    if page.htmx:
        headers["HX-Request"] = "true"
    return headers


def check(base: str, page: Page, headers: dict[str, str]) -> float:
    """Every path answers 200 with the right kind of body before it is timed (a benchmark of
    error pages would measure nothing useful). Returns the slowest single request's time."""
    slowest = 0.0
    with httpx.Client(base_url=base, timeout=300) as client:
        for path in page.paths:
            began = time.perf_counter()
            response = client.get(path, headers=headers)
            slowest = max(slowest, time.perf_counter() - began)
            kind = response.headers.get("content-type", "")
            if response.status_code != 200 or not kind.startswith(page.content_type):
                raise SystemExit(
                    f"{page.name}: {path} answered {response.status_code} ({kind}): "
                    f"{response.text[:300]}"
                )
    return slowest


WRK_SCRIPT = """
local paths = {%(paths)s}
local method = "%(method)s"
local body = %(body)s
local counter = 0
wrk.headers = {%(headers)s}
request = function()
  counter = counter + 1
  return wrk.format(method, paths[(counter - 1) %% #paths + 1], nil, body)
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK-JSON {"requests": %%d, "duration_us": %%d, "errors": %%d, '
    .. '"p50": %%d, "p95": %%d, "p99": %%d, "max": %%d}\\n',
    summary.requests, summary.duration,
    e.connect + e.read + e.write + e.status + e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max))
end
"""


def lua_string(value: str) -> str:
    return json.dumps(value)  # a JSON string is a valid Lua string literal for our values


def wrk(
    base: str,
    paths: Sequence[str],
    headers: dict[str, str],
    *,
    users: int,
    seconds: float,
    method: str = "GET",
    body: str | None = None,
) -> Figures:
    script = WRK_SCRIPT % {
        "paths": ", ".join(lua_string(path) for path in paths),
        "method": method,
        "body": lua_string(body) if body is not None else "nil",
        "headers": ", ".join(f"[{lua_string(k)}] = {lua_string(v)}" for k, v in headers.items()),
    }
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as file:
        file.write(script)
    try:
        output = subprocess.run(  # noqa: S603
            [
                WRK,
                "-t1",
                f"-c{users}",
                f"-d{max(1, round(seconds))}s",
                "--timeout",
                "60s",
                "-s",
                file.name,
                base,
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        os.unlink(file.name)
    line = next(line for line in output.splitlines() if line.startswith("WRK-JSON "))
    raw = json.loads(line.removeprefix("WRK-JSON "))
    elapsed = raw["duration_us"] / 1e6
    return Figures(
        users=users,
        requests=raw["requests"],
        seconds=round(elapsed, 2),
        rps=round(raw["requests"] / elapsed, 2) if elapsed else 0.0,
        p50_ms=raw["p50"] / 1000,
        p95_ms=raw["p95"] / 1000,
        p99_ms=raw["p99"] / 1000,
        max_ms=raw["max"] / 1000,
        errors=raw["errors"],
    )


# --- the run -----------------------------------------------------------------------------------


def measure_page(
    base: str,
    page: Page,
    headers: dict[str, str],
    users: Sequence[int],
    seconds: float,
    memory: MemoryWatch,
) -> PageResult:
    """A page at each number of users, once the app is idle again. A slow page is measured
    for longer, so that every figure rests on enough requests."""
    memory.settle()
    single = check(base, page, headers)
    wrk(base, page.paths, headers, users=1, seconds=min(WARM_UP_SECONDS, seconds))  # warm up
    result = PageResult(page.name, page.paths)
    for count in users:
        memory.settle()
        duration = max(seconds, min(MAX_SECONDS, single * (8 + 2 * count)))
        result.figures.append(wrk(base, page.paths, headers, users=count, seconds=duration))
    return result


def mixed(
    base: str,
    data: Dataset,
    cookies: dict[str, dict[str, str]],
    *,
    readers: int,
    writers: int,
    seconds: float,
) -> dict[str, Figures]:
    """Readers over several pages while writers add chronology entries, at the same time."""
    reading = [
        path
        for family in data.caseload[1:6]
        for path in (
            f"/families/{family}",
            f"/families/{family}/chronology",
            f"/families/{family}/sections/factors-substance-misuse",
        )
    ] + ["/families"]
    target = next(family for family in data.caseload if family not in {data.giant})
    reader_headers = headers_for(Page("reads", ()), cookies)
    writer_headers = {
        **reader_headers,
        "Content-Type": "application/x-www-form-urlencoded",
    }
    with httpx.Client(base_url=base, timeout=60) as client:
        form = client.get(f"/families/{target}/chronology/new", headers=reader_headers)
        token = CSRF_INPUT.search(form.text)
        assert token, "no CSRF token on the new entry form"
    body = urlencode(
        {
            "csrf_token": token.group(1),
            "occurred_on-day": "3",
            "occurred_on-month": "11",
            "occurred_on-year": "2026",
            "date_precision": "day",
            "source_id": "police",
            "what_happened": "Added by the benchmark's writers: a police notification.",
            "themes": "domestic-abuse-incident",
            "significance": "amber",
        }
    )
    post: dict[str, Any] = {"method": "POST", "body": body}
    writing = [f"/families/{target}/chronology/new"]
    # Warmed as every page is (measure_page), here by as many users as are measured, so that
    # each worker has drawn these pages once: a worker's first request of a page compiles its
    # templates and statements (0.16 to 0.48 s, docs/performance.md), which the figures below
    # are not about.
    wrk(base, reading, reader_headers, users=readers, seconds=WARM_UP_SECONDS)
    if writers:
        wrk(base, writing, writer_headers, users=writers, seconds=WARM_UP_SECONDS, **post)
    results: dict[str, Figures] = {}

    def run(name: str, *args: Any, **kwargs: Any) -> None:
        results[name] = wrk(*args, **kwargs)

    threads = [
        threading.Thread(
            target=run,
            args=("readers", base, reading, reader_headers),
            kwargs={"users": readers, "seconds": seconds},
        )
    ]
    if writers:  # none: the readers alone, to compare with
        threads.append(
            threading.Thread(
                target=run,
                args=("writers", base, writing, writer_headers),
                kwargs={"users": writers, "seconds": seconds, **post},
            )
        )
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def cpu_times() -> list[int]:
    """The machine's CPU time so far, by kind (the first line of /proc/stat; none elsewhere)."""
    stat = Path("/proc/stat")
    if not stat.exists():
        return []
    return [int(value) for value in stat.read_text().split("\n", 1)[0].split()[1:]]


def stolen_percent(before: list[int], after: list[int]) -> float | None:
    """How much of the machine's CPU time between the two readings the hypervisor gave to
    other machines ("steal", the eighth figure): a run on a shared machine can be slow for
    that alone."""
    spent = [end - start for start, end in zip(before, after, strict=True)][:8]
    if len(spent) < 8 or not sum(spent):
        return None
    return round(100 * spent[7] / sum(spent), 1)


def machine() -> dict[str, Any]:
    load = os.getloadavg()
    cpu = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        found = re.search(r"model name\s*:\s*(.+)", cpuinfo.read_text())
        cpu = found.group(1) if found else ""
    return {
        "cpus": os.cpu_count(),
        "cpu": cpu,
        "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "load_average_1_5_15": [round(value, 2) for value in load],
        "python": platform.python_version(),
        "system": platform.platform(),
    }


def print_table(results: list[PageResult], users: Sequence[int]) -> None:
    header = f"{'page':32}" + "".join(
        f" | {f'{count} user' + ('s' if count > 1 else ''):^34}" for count in users
    )
    print(header)
    print(f"{'':32}" + " | median    p95   req/s  ratio err" * len(users))
    print("-" * len(header))
    for result in results:
        line = f"{result.name[:32]:32}"
        for figures in result.figures:
            ratio = f"{figures.ratio:5.2f}" if figures.ratio is not None else "    -"
            line += (
                f" | {figures.p50_ms:6.1f} {figures.p95_ms:6.1f} {figures.rps:7.1f} "
                f"{ratio} {figures.errors:3d}"
            )
        print(line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url", default=f"sqlite:///{PROJECT_ROOT / 'data' / 'bench.sqlite3'}"
    )
    parser.add_argument("--workers", type=int, default=1, help="app worker processes")
    parser.add_argument("--seconds", type=float, default=10, help="per page and user count")
    parser.add_argument("--users", default="1,16", help="concurrent users, comma-separated")
    parser.add_argument(
        "--only", help="only pages whose name contains one of these texts (comma-separated)"
    )
    parser.add_argument("--mixed", action="store_true", help="also readers with writers")
    parser.add_argument("--readers", type=int, default=16)
    parser.add_argument("--writers", type=int, default=2, help="0: the readers alone")
    parser.add_argument("--out", type=Path, help="the JSON file (default: bench/results/...)")
    args = parser.parse_args()
    # Stopped from outside, still stop the app it started (the finally blocks run).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    if not Path(WRK).is_absolute():
        raise SystemExit("wrk is not installed: apt-get install wrk")
    users = [int(value) for value in args.users.split(",")]
    data = find_dataset(args.database_url)
    backend = "sqlite" if args.database_url.startswith("sqlite") else "postgresql"
    if backend == "postgresql":
        refresh_statistics(args.database_url)
    print(
        f"{describe_database(args.database_url)}: {data.families:,} families, "
        f"{data.entries:,} chronology entries; {args.workers} worker(s), "
        f"{args.seconds:g} s per measurement, users {users}."
    )
    wanted = [text.strip() for text in (args.only or "").split(",") if text.strip()]
    chosen = [page for page in pages(data) if not wanted or any(t in page.name for t in wanted)]
    static = Page("static page (signed out)", ("/accessibility",), user="")
    started, cpu_before = datetime.now(UTC), cpu_times()
    out = args.out or RESULTS / f"run-{backend}-{started:%Y%m%dT%H%M%S}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    with (
        tempfile.TemporaryDirectory() as folder,
        server(args.database_url, args.workers, Path(folder), out.with_suffix(".log")) as (
            base,
            process,
        ),
        MemoryWatch(process.pid) as memory,
    ):
        cookies = {
            "practitioner": sign_in(base, data.practitioner),
            "supervisor": sign_in(base, data.supervisor),
            "": {},
        }
        before = measure_page(base, static, {}, users, args.seconds, memory)
        print(f"  static page: {[f'{f.rps:.1f}/s' for f in before.figures]}", flush=True)
        results = []
        for page in chosen:
            result = measure_page(
                base, page, headers_for(page, cookies), users, args.seconds, memory
            )
            results.append(result)
            print(
                f"  {page.name}: "
                + "; ".join(
                    f"{f.users} users median {f.p50_ms:.0f} ms p95 {f.p95_ms:.0f} ms "
                    f"{f.rps:.1f}/s ({f.errors} errors)"
                    for f in result.figures
                ),
                flush=True,
            )
        after = measure_page(base, static, {}, users, args.seconds, memory)
        baseline = {
            count: statistics.mean([b.rps, a.rps])
            for count, b, a in zip(users, before.figures, after.figures, strict=True)
        }
        for result in results:
            for figures in result.figures:
                figures.ratio = round(figures.rps / baseline[figures.users], 3)
        contention = (
            mixed(
                base,
                data,
                cookies,
                readers=args.readers,
                writers=args.writers,
                seconds=args.seconds * 2,
            )
            if args.mixed
            else {}
        )
        memory.sample()
        right_after = dict(memory.last)
        # What the workers hold once idle: they give freed memory back after IDLE_SECONDS.
        memory.settle()
        time.sleep(IDLE_SECONDS + 1)
        memory.sample()
    static_result = PageResult(static.name, static.paths)
    static_result.figures = [
        Figures(**{**asdict(b), "rps": round(baseline[b.users], 2), "ratio": 1.0})
        for b in before.figures
    ]
    print()
    print_table([static_result, *results], users)
    if contention:
        print()
        for name, figures in contention.items():
            print(
                f"{name} ({figures.users}) alongside each other: median {figures.p50_ms:.1f} ms, "
                f"p95 {figures.p95_ms:.1f} ms, slowest {figures.max_ms:.1f} ms, "
                f"{figures.rps:.1f} req/s, {figures.errors} errors"
            )
    mib = 2**20
    print()
    print(
        f"memory per app process (MiB), peak / right after the run / idle {IDLE_SECONDS + 1:.0f} s "
        "later:"
    )
    drawing = [memory.peak[pid] for pid in memory.peak if memory.roles.get(pid) == DRAWING_ONE]
    for pid in sorted(memory.peak):
        if memory.roles.get(pid) != DRAWING_ONE:
            held = " / ".join(
                f"{sample[pid] / mib:.0f}" if pid in sample else "ended"
                for sample in (right_after, memory.last)
            )
            print(f"  {memory.roles.get(pid, 'process')}: {memory.peak[pid] / mib:.0f} / {held}")
    if drawing:
        print(
            f"  {len(drawing)} children that each drew a PDF and ended: "
            f"{min(drawing) / mib:.0f} to {max(drawing) / mib:.0f} at their peak"
        )
    stolen = stolen_percent(cpu_before, cpu_times())
    record = {
        "started": started.isoformat(),
        "database": describe_database(args.database_url),
        "backend": backend,
        "families": data.families,
        "entries": data.entries,
        "workers": args.workers,
        "seconds": args.seconds,
        "machine": {**machine(), "stolen_percent": stolen},
        "static": [asdict(figures) for figures in static_result.figures],
        "static_before": [asdict(figures) for figures in before.figures],
        "static_after": [asdict(figures) for figures in after.figures],
        "pages": [
            {"name": r.name, "paths": len(r.paths), "figures": [asdict(f) for f in r.figures]}
            for r in results
        ],
        "mixed": {name: asdict(figures) for name, figures in contention.items()},
        "memory_mib": {
            "processes": [
                {
                    "role": memory.roles.get(pid, "process"),
                    "peak": round(memory.peak[pid] / mib, 1),
                    "right_after": round(right_after[pid] / mib, 1) if pid in right_after else None,
                    "idle": round(memory.last[pid] / mib, 1) if pid in memory.last else None,
                }
                for pid in sorted(memory.peak)
            ],
        },
    }
    out.write_text(json.dumps(record, indent=2) + "\n")
    if stolen is not None:
        print(
            f"the hypervisor gave {stolen:g}% of this machine's CPU time to others during the "
            "run (steal)"
        )
    print(f"written to {out}, the app's log to {out.with_suffix('.log')}")


if __name__ == "__main__":
    main()
