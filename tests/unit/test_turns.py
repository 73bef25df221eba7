"""Documents take turns in a process: two threads never build at once, a turn taken inside a
turn does not wait for itself, and freed memory is given back once, when the outer turn ends."""

from __future__ import annotations

import threading
import time

import pytest

from app import memory
from app.summary import turns, word


def test_two_threads_never_build_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    trims: list[int] = []
    monkeypatch.setattr(memory, "give_back", lambda: trims.append(0))
    inside = 0
    most = 0
    guard = threading.Lock()
    started = threading.Barrier(4)

    def build() -> None:
        nonlocal inside, most
        started.wait()
        for _ in range(20):
            with turns.turn():
                with guard:
                    inside += 1
                    most = max(most, inside)
                # The renderer takes the turn again around the drawing: no deadlock.
                with turns.turn():
                    time.sleep(0.001)  # holding the turn while the other threads try for it
                with guard:
                    inside -= 1

    threads = [threading.Thread(target=build) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads)
    assert most == 1
    # Given back after each outer turn, not after the nested ones.
    assert trims == [0] * 80


def test_the_turn_is_released_when_building_fails() -> None:
    with pytest.raises(ValueError, match="could not be built"), turns.turn():
        raise ValueError("the document could not be built")
    acquired = threading.Event()

    def other() -> None:
        with turns.turn():
            acquired.set()

    thread = threading.Thread(target=other)
    thread.start()
    thread.join(timeout=10)
    assert acquired.is_set()


def test_a_word_file_waits_for_the_turn(monkeypatch: pytest.MonkeyPatch) -> None:
    built = threading.Event()
    monkeypatch.setattr(word, "_render_docx", lambda doc: built.set() or b"docx")
    thread = threading.Thread(target=word.render_docx, args=(None,))
    with turns.turn():
        thread.start()
        thread.join(timeout=0.2)
        assert thread.is_alive()
        assert not built.is_set()
    thread.join(timeout=10)
    assert built.is_set()


def test_documents_are_drawn_in_one_thread_of_their_own() -> None:
    seen: set[str] = set()

    def where() -> str:
        seen.add(threading.current_thread().name)
        return "drawn"

    threads = [threading.Thread(target=turns.draw, args=(where,)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert turns.draw(where) == "drawn"
    assert len(seen) == 1
    assert next(iter(seen)).startswith("documents")
