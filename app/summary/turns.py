"""One document or export (a PDF, a Word file, a CSV or a whole record) built at a time in
each process.

Drawn in several threads at once, the PDF library the app used before Typst reported corrupted
memory ("corrupted double-linked list", 16 PDFs at once in bench/run.py), and each layout held
hundreds of megabytes (a process grew past 1 GB); PDFs are now drawn in processes of their own
(`app.summary.drawing`), one at a time. Sixteen CSV files of a chronology of 5,000 entries
built at once left a worker at 452 MiB. Python runs one thread at a time anyway, so taking
turns costs no throughput; an export waiting for its turn holds no memory yet.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import ParamSpec, TypeVar

from app import memory

# Re-entrant, so that a caller can take its turn before it builds the document's model and the
# renderer can take it again around the drawing.
_BUILDING = threading.RLock()
_depth = threading.local()

# Word files are written in one thread of their own, so that lxml's memory is taken from and
# freed to one arena, not one per request thread.
_DRAWER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="documents")

P = ParamSpec("P")
R = TypeVar("R")


@contextmanager
def turn() -> Iterator[None]:
    """Wait for this process's turn to build a document; what it freed is given back after."""
    with _BUILDING:
        outermost = not getattr(_depth, "value", 0)
        _depth.value = getattr(_depth, "value", 0) + 1
        try:
            yield
        finally:
            _depth.value -= 1
            # A document is built in whichever of the pool's threads serves the request, and
            # each thread kept a build's worth until the worker reached 510 MiB.
            if outermost:
                memory.give_back()


def draw(make: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    """`make(*args, **kwargs)` in the drawing thread, in this thread's turn."""
    with turn():
        return _DRAWER.submit(make, *args, **kwargs).result()
