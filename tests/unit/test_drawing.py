"""PDFs are drawn in processes of their own: the app process never loads Typst, a drawing that
crashes or runs too long is a clear error, and the next PDF is drawn as usual."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from app.config import PROJECT_ROOT
from app.summary import drawing
from app.summary.document import Paragraph
from app.summary.pdf import typst_data
from tests.summary.support import pdf_text, summary_of


def document(*paragraphs: str) -> bytes:
    """What the template reads for a summary of `paragraphs`."""
    return json.dumps(typst_data(summary_of(*(Paragraph(text) for text in paragraphs)))).encode()


# Long enough that the drawing is still going when the test stops it (seconds, not ms).
LONG = document(*(f"Paragraph {n} of a long document." for n in range(30000)))


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        found.extend(int(child) for child in task.read_text().split())
    return found


def _drawing_child(server: int) -> int:
    """The child the drawing server forked for the PDF being drawn."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        children = _children(server)
        if children:
            return children[0]
        time.sleep(0.01)
    raise AssertionError("the drawing server forked no child")


def test_a_pdf_is_drawn_without_loading_typst_in_the_app_process() -> None:
    script = (
        "import sys\n"
        "from app.summary import drawing\n"
        "from tests.unit.test_drawing import document\n"
        "pdf = drawing.draw_pdf(document('Café & more'))\n"
        "assert 'typst' not in sys.modules, 'Typst was loaded in the app process'\n"
        "sys.stdout.buffer.write(pdf)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=PROJECT_ROOT, capture_output=True, timeout=120
    )
    assert result.returncode == 0, result.stderr.decode()
    text = pdf_text(result.stdout)
    assert "Kowalski family" in text
    assert "Café & more" in text


def test_the_drawing_server_is_given_none_of_the_apps_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HOMEWARD_SECRET_KEY", "a-secret-the-drawing-does-not-need")
    monkeypatch.setenv("DATABASE_URL", "postgresql://someone:secret@database/homeward")
    drawing._stop_server()  # a server started before the settings above would not show them
    drawing.draw_pdf(document("Settings"))
    assert drawing._server is not None
    environment = Path(f"/proc/{drawing._server.process.pid}/environ").read_bytes().split(b"\0")
    names = {entry.partition(b"=")[0] for entry in environment}
    assert b"PATH" in names
    assert b"HOMEWARD_SECRET_KEY" not in names
    assert b"DATABASE_URL" not in names


def test_the_drawing_server_stays_single_threaded_so_that_forking_it_is_safe() -> None:
    # Typst's typesetting starts threads; the server only loads it and finds the fonts.
    drawing.draw_pdf(document("Threads"))
    assert drawing._server is not None
    assert len(list(Path(f"/proc/{drawing._server.process.pid}/task").iterdir())) == 1


def test_a_drawing_that_crashes_is_an_error_and_the_next_pdf_is_drawn() -> None:
    drawing.draw_pdf(document("Warm"))  # the server is running
    assert drawing._server is not None
    server = drawing._server.process.pid
    failure: list[BaseException] = []

    def draw_long() -> None:
        try:
            drawing.draw_pdf(LONG)
        except drawing.DrawingFailed as error:
            failure.append(error)

    thread = threading.Thread(target=draw_long)
    thread.start()
    os.kill(_drawing_child(server), signal.SIGKILL)
    thread.join(timeout=60)
    assert not thread.is_alive()
    assert len(failure) == 1
    assert "could not be drawn" in str(failure[0])
    # The server lived on and draws the next PDF.
    assert drawing._server is not None
    assert drawing._server.process.pid == server
    assert "Next" in pdf_text(drawing.draw_pdf(document("Next")))


def test_a_drawing_that_runs_too_long_is_stopped(monkeypatch: pytest.MonkeyPatch) -> None:
    drawing.draw_pdf(document("Warm"))
    assert drawing._server is not None
    server = drawing._server.process.pid
    monkeypatch.setattr(drawing, "DRAWING_SECONDS", 0.2)
    with pytest.raises(drawing.DrawingFailed, match="not drawn within"):
        drawing.draw_pdf(LONG)
    # The server and the child drawing are both gone, not left drawing.
    assert drawing._server is None
    assert not Path(f"/proc/{server}").exists()
    monkeypatch.setattr(drawing, "DRAWING_SECONDS", 180.0)
    assert "After" in pdf_text(drawing.draw_pdf(document("After")))


def test_a_server_that_went_away_is_started_again() -> None:
    drawing.draw_pdf(document("Warm"))
    assert drawing._server is not None
    gone = drawing._server.process
    os.killpg(gone.pid, signal.SIGKILL)
    gone.wait()
    assert "Again" in pdf_text(drawing.draw_pdf(document("Again")))
    assert drawing._server is not None
    assert drawing._server.process.pid != gone.pid
