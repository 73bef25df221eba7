"""The command line stops bad configuration with one clear sentence, never a traceback."""

import os
import socket
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
import uvicorn

from app import serving
from app.config import PLACEHOLDER_SECRET_KEY
from app.services import api_tokens
from tests.support.processes import START_LIMIT_SECONDS, AppProcess


def run_cli(*args: str, timeout: int = 60, **env: str) -> subprocess.CompletedProcess[str]:
    clean_env = {k: v for k, v in os.environ.items() if not k.startswith("HOMEWARD_")}
    clean_env.pop("DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        capture_output=True,
        text=True,
        env={**clean_env, **env},
        timeout=timeout,
        check=False,
    )


def assert_one_sentence(result: subprocess.CompletedProcess[str], expected: str) -> None:
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    message = result.stderr.strip()
    assert len(message.splitlines()) == 1, message
    assert expected in message


def test_migrate_then_check_succeeds(tmp_path: Path) -> None:
    migrated = run_cli("migrate", HOMEWARD_DATA_DIR=str(tmp_path))
    assert migrated.returncode == 0, migrated.stderr
    checked = run_cli("check", HOMEWARD_DATA_DIR=str(tmp_path))
    assert checked.returncode == 0, checked.stderr
    assert "up to date" in checked.stdout


def test_check_refuses_a_database_that_was_never_migrated(tmp_path: Path) -> None:
    result = run_cli("check", HOMEWARD_DATA_DIR=str(tmp_path))
    assert_one_sentence(result, "python -m app migrate")


def test_unreachable_database_is_one_sentence(tmp_path: Path) -> None:
    result = run_cli(
        "check",
        HOMEWARD_DATA_DIR=str(tmp_path),
        DATABASE_URL="postgresql+psycopg://nobody:secret@127.0.0.1:9/nowhere",
    )
    assert_one_sentence(result, "Cannot reach the database")
    assert "secret" not in result.stderr


def test_placeholder_secret_in_production_is_refused(tmp_path: Path) -> None:
    result = run_cli(
        "serve",
        HOMEWARD_DATA_DIR=str(tmp_path),
        HOMEWARD_ENVIRONMENT="production",
        HOMEWARD_SECRET_KEY=PLACEHOLDER_SECRET_KEY,
    )
    assert_one_sentence(result, "HOMEWARD_SECRET_KEY")


def test_unwritable_data_directory_is_refused() -> None:
    # /proc refuses new folders even to root, so this holds however the tests are run.
    result = run_cli("serve", HOMEWARD_DATA_DIR="/proc/homeward/data")
    assert_one_sentence(result, "cannot be written to")


def test_data_directory_that_is_a_file_is_refused(tmp_path: Path) -> None:
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("occupied")
    result = run_cli("serve", HOMEWARD_DATA_DIR=str(not_a_dir))
    assert_one_sentence(result, "cannot be written to")


def test_create_user_reads_the_password_from_standard_input(tmp_path: Path) -> None:
    run_cli("migrate", HOMEWARD_DATA_DIR=str(tmp_path))
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "app",
            "create-user",
            "--email",
            "First.Admin@Council.test",
            "--name",
            "First Admin",
            "--role",
            "admin",
            "--role",
            "supervisor",
            "--team",
            "Riverside",
        ],
        input="lantern orchid glacier\n",
        capture_output=True,
        text=True,
        env={**os.environ, "HOMEWARD_DATA_DIR": str(tmp_path)},
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "Created First Admin <First.Admin@Council.test> (admin, supervisor)." in result.stdout
    again = subprocess.run(
        [
            sys.executable,
            "-m",
            "app",
            "create-user",
            "--email",
            "first.admin@council.test",
            "--name",
            "Again",
            "--role",
            "admin",
        ],
        input="lantern orchid glacier\n",
        capture_output=True,
        text=True,
        env={**os.environ, "HOMEWARD_DATA_DIR": str(tmp_path)},
        timeout=60,
        check=False,
    )
    assert_one_sentence(again, "Another user already has this email address")


def test_create_user_refuses_a_weak_password(tmp_path: Path) -> None:
    run_cli("migrate", HOMEWARD_DATA_DIR=str(tmp_path))
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "app",
            "create-user",
            "--email",
            "a@council.test",
            "--name",
            "A Person",
            "--role",
            "admin",
        ],
        input="password\n",
        capture_output=True,
        text=True,
        env={**os.environ, "HOMEWARD_DATA_DIR": str(tmp_path)},
        timeout=60,
        check=False,
    )
    assert_one_sentence(result, "12 characters or more")


def test_demo_data_is_refused_outside_development(tmp_path: Path) -> None:
    run_cli("migrate", HOMEWARD_DATA_DIR=str(tmp_path))
    result = run_cli(
        "demo",
        HOMEWARD_DATA_DIR=str(tmp_path),
        HOMEWARD_ENVIRONMENT="production",
        HOMEWARD_SECRET_KEY="p" * 40,
    )
    assert_one_sentence(result, "only loaded when HOMEWARD_ENVIRONMENT is development")


def row_counts(database: Path) -> dict[str, int]:
    """How many rows each table of a SQLite database holds."""
    with sqlite3.connect(database) as connection:
        tables = [
            name
            for (name,) in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        return {
            # The names are the database's own, read from sqlite_master.
            table: connection.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]  # noqa: S608
            for table in tables
        }


def test_demo_data_loads_twice_without_duplicates(tmp_path: Path) -> None:
    run_cli("migrate", HOMEWARD_DATA_DIR=str(tmp_path))
    # The demo takes tens of seconds on a busy machine.
    first = run_cli("demo", HOMEWARD_DATA_DIR=str(tmp_path), timeout=600)
    assert first.returncode == 0, first.stderr
    loaded = row_counts(tmp_path / "homeward.sqlite3")
    second = run_cli("demo", HOMEWARD_DATA_DIR=str(tmp_path), timeout=600)
    assert second.returncode == 0, second.stderr
    assert first.stdout == second.stdout
    assert "priya.shah@homeward.test" in first.stdout
    # The demo service account is named, and its token's secret never printed.
    assert "Demo service account for the JSON API: Mosaic case management" in first.stdout
    assert api_tokens.TOKEN_PREFIX not in first.stdout
    again = row_counts(tmp_path / "homeward.sqlite3")
    # The second load adds no row to any table.
    assert {table: count for table, count in again.items() if count != loaded[table]} == {}


def test_retention_reports_what_it_removed(tmp_path: Path) -> None:
    assert run_cli("migrate", HOMEWARD_DATA_DIR=str(tmp_path)).returncode == 0
    dry = run_cli("retention", "--dry-run", HOMEWARD_DATA_DIR=str(tmp_path))
    assert dry.returncode == 0, dry.stderr
    assert "Would remove 0 families deleted more than 90 days ago" in dry.stdout
    done = run_cli(
        "retention",
        HOMEWARD_DATA_DIR=str(tmp_path),
        HOMEWARD_RETENTION_DELETED_FAMILY_DAYS="30",
    )
    assert done.returncode == 0, done.stderr
    assert "Removed 0 families deleted more than 30 days ago" in done.stdout
    assert "sign-in attempts older than 90 days" in done.stdout


def test_the_workers_sockets_are_tcp() -> None:
    """asyncio turns off Nagle's algorithm (TCP_NODELAY) only on connections accepted from a
    socket that says it is TCP; uvicorn before 0.55 bound its shared socket with protocol 0, and
    every keep-alive response waited about 40 ms for the client's delayed acknowledgement
    (uvicorn issue 3149). Both the shared socket (several workers elsewhere than on Linux, or
    `--reload`) and each worker's own on Linux say they are TCP."""
    listener = uvicorn.Config("app.main:create_app", host="127.0.0.1", port=0).bind_socket()
    with listener:
        assert listener.proto == socket.IPPROTO_TCP
    with serving._bind(socket.AF_INET, "127.0.0.1", 0) as own:
        assert own.proto == socket.IPPROTO_TCP


def _sockets_at(port: int, state: str) -> set[int]:
    """The inodes of the TCP sockets on local `port` in `state` (/proc/net/tcp's hex codes)."""
    inodes = set()
    for table in (Path("/proc/net/tcp"), Path("/proc/net/tcp6")):
        if not table.exists():  # no IPv6 on this machine
            continue
        for line in table.read_text().splitlines()[1:]:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == state:
                inodes.add(int(fields[9]))
    return inodes


def _holders(inodes: set[int]) -> Counter[int]:
    """How many of the sockets `inodes` each process holds open."""
    held: Counter[int] = Counter()
    for process in Path("/proc").iterdir():
        if not process.name.isdigit():
            continue
        try:
            links = [os.readlink(fd) for fd in (process / "fd").iterdir()]
        except OSError:  # gone, or not ours to read
            continue
        for link in links:
            if link.startswith("socket:[") and int(link[8:-1]) in inodes:
                held[int(process.name)] += 1
    return held


LISTENING, ESTABLISHED = "0A", "01"


@pytest.mark.skipif(sys.platform != "linux", reason="SO_REUSEPORT spreads connections on Linux")
def test_connections_opened_at_once_are_spread_over_the_workers(tmp_path: Path) -> None:
    """With one socket shared by the workers, the first to wake accepted every connection
    waiting: a load test's 16 keep-alive connections all went to one of two workers. Each
    worker now listens on a socket of its own and the kernel spreads the connections (all 32
    on one of two by chance: about 1 in 2,000 million)."""
    assert run_cli("migrate", HOMEWARD_DATA_DIR=str(tmp_path)).returncode == 0
    server = AppProcess("serve", tmp_path, {"HOMEWARD_DATA_DIR": str(tmp_path)}, workers=2)
    server.start()
    connections: list[socket.socket] = []
    try:
        deadline = time.monotonic() + START_LIMIT_SECONDS
        while len(_holders(_sockets_at(server.port, LISTENING))) < 2:
            assert server.alive(), server.logs()
            assert time.monotonic() < deadline, "the two workers did not both listen"
            time.sleep(0.1)
        for _ in range(32):
            connection = socket.create_connection(("127.0.0.1", server.port), timeout=60)
            connection.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            connections.append(connection)
        for connection in connections:
            assert connection.recv(4096).startswith(b"HTTP/1.1 200"), "not served"
        # The server's ends: their local port is the app's (the client's ends have their own).
        held = _holders(_sockets_at(server.port, ESTABLISHED))
        assert sum(held.values()) == 32
        assert len(held) == 2, held
    finally:
        for connection in connections:
            connection.close()
        server.stop()


@pytest.mark.skipif(sys.platform != "linux", reason="SO_REUSEPORT spreads connections on Linux")
def test_workers_refuse_a_port_another_process_serves(tmp_path: Path) -> None:
    """SO_REUSEPORT would let a second instance share the port of one already running; like
    uvicorn with its shared socket, it is refused."""
    assert run_cli("migrate", HOMEWARD_DATA_DIR=str(tmp_path)).returncode == 0
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        result = run_cli(
            "serve", "--workers", "2", "--port", str(port), HOMEWARD_DATA_DIR=str(tmp_path)
        )
    assert result.returncode == 3
    assert f"127.0.0.1:{port} is already in use" in result.stderr
    assert "Traceback" not in result.stderr
