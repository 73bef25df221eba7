"""Memory a process has freed, given back to the system; and what it made at start-up, left out
of garbage collection (`keep_what_start_up_made`).

glibc keeps what a thread freed in that thread's arena for it to reuse, and the app serves
requests in a pool of 40 threads, so a worker that built 16 large pages at once kept their
memory long after. `malloc_trim` gives back what is free (a few milliseconds).
"""

from __future__ import annotations

import asyncio
import ctypes
import gc
from collections.abc import Callable

from starlette.types import ASGIApp, Receive, Scope, Send

_LIBC = ctypes.CDLL(None)
# None where the C library is not glibc (musl, macOS): nothing is given back there.
_trim: Callable[[int], int] | None = getattr(_LIBC, "malloc_trim", None)

# How long a process must have served nothing before it gives memory back: long enough that a
# busy process never does it between requests, short enough that an idle one soon does.
IDLE_SECONDS = 5.0


# Objects made (less those freed) before the youngest generation is collected; Python's default
# is 700. A page makes tens of thousands that live until it is sent, so at 700 each was walked
# by several collections and moved to older generations, to be walked again there: a chronology
# page spent about 1 ms of its 30 in collections (docs/performance.md).
YOUNG_OBJECTS = 10_000


def keep_what_start_up_made() -> None:
    """Leave what the process made at start-up (modules, templates, the ORM's mappings) out of
    every later garbage collection, as Python's documentation suggests for long-lived objects
    (`gc.freeze`); and collect the youngest objects less often (YOUNG_OBJECTS).

    A full collection walks every object the process holds. With 16 readers and 2 writers on
    SQLite, a worker ran one every 3 to 4 s, each stopping every request for 150 to 210 ms:
    1.9 s in a 40 s run. With start-up's objects left out, 0.5 s (docs/performance.md)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_OBJECTS, *gc.get_threshold()[1:])


def give_back() -> None:
    """Give the memory this process has freed back to the system."""
    if _trim is not None:
        _trim(0)


class GiveBackWhenIdle:
    """Gives freed memory back once the process has served no request for IDLE_SECONDS."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.serving = 0
        self.waiting: asyncio.TimerHandle | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        self.serving += 1
        if self.waiting is not None:
            self.waiting.cancel()
            self.waiting = None
        try:
            await self.app(scope, receive, send)
        finally:
            self.serving -= 1
            if not self.serving:
                loop = asyncio.get_running_loop()
                self.waiting = loop.call_later(IDLE_SECONDS, self._idle, loop)

    def _idle(self, loop: asyncio.AbstractEventLoop) -> None:
        self.waiting = None
        # In a thread: the event loop goes on accepting requests while it runs.
        loop.run_in_executor(None, give_back)
