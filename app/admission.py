"""Each app process works on a few requests at a time; the others wait, first come, first
served.

Python runs one thread at a time. With 16 requests at work in one process's thread pool, a
request that has waited for the database waits again for the interpreter after each statement
(and, on SQLite, each row), while 15 others take turns at it, and nothing keeps the order in
which they came. On SQLite with 16 readers and 2 writers the slowest reader took 1.7 to 2.8 s,
at 24 to 35 pages a second; two at a time, in the order they came, 0.9 to 1.0 s, at 36 to 38
(`bench/run.py --mixed`, docs/performance.md; the 95th percentile fell from 0.85 to 2.2 s to
about 0.6 s).

Routes that mostly wait for something other than this process are marked `outside_queue`:
documents and exports, which take turns among themselves (app.summary.turns), and a PDF's
seconds are spent waiting for its drawing process; sign-in through the identity provider,
which waits for the provider. They neither wait here nor hold a place.

A page asked for by someone who has gone while it waited (a closed tab, a page asked for again)
is not drawn when its turn comes: under load it would take a turn from someone still waiting.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import ParamSpec, TypeVar

from anyio import CapacityLimiter
from fastapi import Request

from app.preview import PREVIEW

P = ParamSpec("P")
R = TypeVar("R")


def outside_queue(endpoint: Callable[P, R]) -> Callable[P, R]:
    """Mark a route whose requests do not wait in the queue (see the module's docstring)."""
    endpoint.outside_queue = True  # type: ignore[attr-defined]
    return endpoint


class ClientGone(Exception):
    """The browser closed its connection while its request waited for a turn."""


class Queue:
    """At most `at_once` requests of this process at work; the rest wait in the order they
    came (anyio's limiter wakes its waiters first in, first out)."""

    def __init__(self, at_once: int) -> None:
        self.at_once = at_once
        # Made on the first request, so that anyio makes the running event loop's own kind.
        self._limiter: CapacityLimiter | None = None

    @property
    def waiting(self) -> int:
        """How many requests are waiting for their turn."""
        return self._limiter.statistics().tasks_waiting if self._limiter else 0

    async def __call__(self, request: Request) -> AsyncIterator[None]:
        # A draft's preview is drawn by a request inside the trainer's, which has its place.
        if getattr(request.scope.get("endpoint"), "outside_queue", False) or PREVIEW.get():
            yield
            return
        if self._limiter is None:
            self._limiter = CapacityLimiter(self.at_once)
        async with self._limiter:
            # Asking takes the request's body from the server, so only for a GET or HEAD, which
            # never read one (a form posted would lose its text).
            if request.method in ("GET", "HEAD") and await request.is_disconnected():
                raise ClientGone
            yield
