"""The health check for load balancers: `GET /healthz` answers 200 when the database answers,
and 503 within a couple of seconds when it is down, refusing connections or hung.

It is answered before routing, so it never resolves a session cookie, never takes a connection
from the pool that requests share (which may be exhausted by requests stuck on a hung
database) and is never slowed by them. Each probe opens its own connection with a connect
timeout, in a thread of its own; while one probe is still waiting on a hung database, later
checks wait for that same probe, never start another, so a load balancer polling a hung
database cannot pile up threads or connections.

The answer names no host, port or database: load balancers and anyone else can reach it. The
reason is logged for the operator. Framework content versions that are refused (their
families' pages say the version is unavailable) are listed, while the answer stays 200.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import logging
import threading
from collections.abc import Mapping

from sqlalchemy import Engine, text
from starlette.types import ASGIApp, Receive, Scope, Send

from app.db import make_probe_engine

logger = logging.getLogger(__name__)

PATH = "/healthz"
OK = {"status": "ok"}
UNAVAILABLE = {"status": "unavailable", "message": "The database is not answering."}


class DatabaseProbe:
    """At most one check of the database at a time, each bounded by `timeout` seconds."""

    def __init__(self, url: str, *, timeout: float) -> None:
        self.timeout = timeout
        self.engine: Engine = make_probe_engine(url, timeout=timeout)
        self._lock = threading.Lock()
        self._running: concurrent.futures.Future[None] | None = None

    def _probe(self, future: concurrent.futures.Future[None]) -> None:
        try:
            with self.engine.connect().execution_options(sqlite_begin="DEFERRED") as connection:
                connection.execute(text("SELECT 1"))
        except Exception as error:  # any failure is "unavailable"; the reason goes to the log
            future.set_exception(error)
        else:
            future.set_result(None)

    def _current(self) -> concurrent.futures.Future[None]:
        with self._lock:
            if self._running is None or self._running.done():
                future: concurrent.futures.Future[None] = concurrent.futures.Future()
                # A daemon thread: a probe stuck on a hung database must not hold up shutdown.
                threading.Thread(
                    target=self._probe, args=(future,), name="homeward-healthz", daemon=True
                ).start()
                self._running = future
            return self._running

    async def healthy(self) -> bool:
        running = self._current()
        try:
            await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(running)), self.timeout)
        except TimeoutError:
            logger.warning("Health check: the database did not answer in %s s", self.timeout)
            return False
        except Exception as error:
            reason = str(getattr(error, "orig", None) or error).strip().splitlines()
            logger.warning(
                "Health check: the database is unavailable (%s: %s)",
                type(error).__name__,
                reason[0] if reason else "",
            )
            return False
        return True


class HealthCheckMiddleware:
    """Answers `GET /healthz` (and HEAD) itself; everything else goes on to the app."""

    def __init__(self, app: ASGIApp, *, database_url: str, timeout: float = 2.0) -> None:
        self.app = app
        self.probe = DatabaseProbe(database_url, timeout=timeout)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != PATH:
            await self.app(scope, receive, send)
            return
        if scope["method"] not in {"GET", "HEAD"}:
            await self._answer(scope, send, 405, {"message": "Use GET."}, [(b"allow", b"GET")])
            return
        if await self.probe.healthy():
            await self._answer(scope, send, 200, await self._content(scope))
        else:
            await self._answer(scope, send, 503, UNAVAILABLE, [(b"retry-after", b"10")])

    async def _content(self, scope: Scope) -> dict[str, object]:
        store = getattr(scope["app"].state, "content", None)
        if store is None:
            return dict(OK)
        try:
            refused = await asyncio.wait_for(
                asyncio.to_thread(store.refused, self.probe.engine), self.probe.timeout
            )
        except Exception:  # the database answered the probe: this is logged, not a failure
            logger.exception("Health check: could not list refused content versions")
            return dict(OK)
        return {**OK, "refused_content_versions": refused} if refused else dict(OK)

    @staticmethod
    async def _answer(
        scope: Scope,
        send: Send,
        status: int,
        body: Mapping[str, object],
        extra: list[tuple[bytes, bytes]] | None = None,
    ) -> None:
        content = json.dumps(body).encode()
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(content)).encode()),
            *(extra or []),
        ]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send(
            {"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else content}
        )
