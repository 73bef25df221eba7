"""A process gives freed memory back once it has served nothing for a while: never while a
request is being served, and once per quiet spell."""

from __future__ import annotations

import asyncio
import gc
import threading
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from starlette.types import Message, Receive, Scope, Send

from app import memory
from app.config import Environment
from app.main import create_app
from tests.conftest import test_settings

HTTP: Scope = {"type": "http", "method": "GET", "path": "/", "headers": []}


async def _receive() -> Message:
    return {"type": "http.request", "body": b"", "more_body": False}


async def _send(message: Message) -> None:
    return None


def _run(coroutine: Coroutine[Any, Any, None]) -> None:
    """In a thread of its own: a browser test earlier in this process (Playwright) may have left
    an event loop running in the main thread."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="event-loop") as pool:
        pool.submit(asyncio.run, coroutine).result(timeout=60)


@pytest.fixture
def given_back(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Each time memory is given back, the name of the thread that did it."""
    calls: list[str] = []
    monkeypatch.setattr(memory, "give_back", lambda: calls.append(threading.current_thread().name))
    monkeypatch.setattr(memory, "IDLE_SECONDS", 0.02)
    return calls


def test_memory_is_given_back_once_the_process_is_idle(given_back: list[str]) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})

    async def run() -> None:
        middleware = memory.GiveBackWhenIdle(app)
        for _ in range(3):
            await middleware(HTTP, _receive, _send)
        async with asyncio.timeout(30):
            while not given_back:
                await asyncio.sleep(0.01)
        await asyncio.sleep(0.1)  # a quiet spell gives back once, not again and again

    _run(run())
    assert len(given_back) == 1
    # Not in the event loop's own thread, which goes on accepting requests meanwhile.
    assert not given_back[0].startswith("event-loop")


def test_nothing_is_given_back_while_a_request_is_served(given_back: list[str]) -> None:
    release = asyncio.Event()

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["path"] == "/slow":
            await release.wait()

    async def run() -> None:
        middleware = memory.GiveBackWhenIdle(app)
        await middleware(HTTP, _receive, _send)  # the wait for a quiet spell starts
        slow = asyncio.create_task(middleware({**HTTP, "path": "/slow"}, _receive, _send))
        await asyncio.sleep(0.2)  # ten times the quiet spell, with a request still served
        assert given_back == []
        release.set()
        await slow
        async with asyncio.timeout(30):
            while not given_back:
                await asyncio.sleep(0.01)

    _run(run())
    assert len(given_back) == 1


def test_what_is_not_a_request_passes_straight_through(given_back: list[str]) -> None:
    seen: list[str] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(scope["type"])

    async def run() -> None:
        middleware = memory.GiveBackWhenIdle(app)
        await middleware({"type": "lifespan"}, _receive, _send)
        assert middleware.waiting is None
        assert middleware.serving == 0

    _run(run())
    assert seen == ["lifespan"]


@pytest.mark.parametrize(
    ("environment", "frozen"), [(Environment.DEVELOPMENT, True), (Environment.TEST, False)]
)
def test_start_up_objects_are_left_out_of_garbage_collection(
    environment: Environment, frozen: bool, database_url: str, tmp_path: Path, engine: Engine
) -> None:
    """Once the app has started, what it made so far is left out of every later collection,
    and the youngest objects are collected less often; except in tests, where it would be the
    whole test process's objects, again and again."""
    gc.unfreeze()
    threshold = gc.get_threshold()
    app = create_app(test_settings(database_url, tmp_path, environment=environment))
    app.state.engine = engine
    try:
        with TestClient(app):
            assert (gc.get_freeze_count() > 0) is frozen
            young, *older = gc.get_threshold()
            assert young == (memory.YOUNG_OBJECTS if frozen else threshold[0])
            assert older == list(threshold[1:])
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)
