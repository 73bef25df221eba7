"""App processes for tests that treat Homeward as its operators do: started with
`python -m app serve` on a port of their own, killed with SIGKILL, started again."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx2 as httpx

# Upper limits, generous for a busy machine; every wait returns as soon as its signal comes.
START_LIMIT_SECONDS = 180


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class AppProcess:
    """One uvicorn process of the app (with `workers`, the supervisor of that many); `kill()`
    and `start()` may alternate any number of times, always on the same port."""

    def __init__(
        self, name: str, log_dir: Path, environment: dict[str, str], *, workers: int = 1
    ) -> None:
        self.name = name
        self.workers = workers
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_dir / f"{name}.log"
        self.environment = environment
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("HOMEWARD_")}
        env.pop("DATABASE_URL", None)
        env.update(self.environment)
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [
                    *(sys.executable, "-m", "app", "serve", "--port", str(self.port)),
                    *(("--workers", str(self.workers)) if self.workers > 1 else ()),
                ],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.starts += 1

    def wait_until_healthy(self) -> None:
        deadline = time.monotonic() + START_LIMIT_SECONDS
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                raise RuntimeError(f"{self.name} stopped: {self.logs()}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=5).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        raise RuntimeError(f"{self.name} was not healthy in {START_LIMIT_SECONDS} s")

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL: no shutdown, no finishing the requests in flight."""
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()

    def logs(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:] if self.log_path.exists() else ""
