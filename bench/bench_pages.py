"""Server time for the public pages, measured in-process (no network), on a fresh SQLite."""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from fastapi.testclient import TestClient

from app.config import Environment, Settings
from app.db import make_engine, migrate
from app.main import create_app

PAGES = ["/", "/accessibility", "/privacy", "/healthz"]
ROUNDS = 200


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
        migrate(make_engine(url))
        app = create_app(
            Settings(environment=Environment.TEST, database_url=url, data_dir=Path(folder))
        )
        with TestClient(app) as client:
            for path in PAGES:
                client.get(path)  # warm the template cache
                timings = []
                for _ in range(ROUNDS):
                    started = time.perf_counter()
                    client.get(path)
                    timings.append((time.perf_counter() - started) * 1000)
                timings.sort()
                print(
                    f"{path:16} median {statistics.median(timings):6.2f} ms   "
                    f"p95 {timings[int(ROUNDS * 0.95)]:6.2f} ms   ({ROUNDS} requests)"
                )


if __name__ == "__main__":
    main()
