"""PDFs typeset by Typst in processes of their own, one at a time in each app process.

A PDF drawn in the app process would hold Python's lock while it is typeset, so every other
request of that process would wait; its memory would stay with the process; and a crash in
the typesetter would take the process and its requests with it.

So each app process starts a drawing server (`python -m app.summary.drawing`) the first time
it draws a PDF. The server forks a child for each PDF: the child typesets it, hands it back
and exits, and its memory goes back to the system. The server loads Typst and finds the fonts
once, but never typesets: that starts threads, and a process forked from one with threads may
hang. The server is single-threaded, so forking it is safe; it exits when the app process
closes its pipe. The pipes carry whole messages (`multiprocessing.connection`).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import subprocess
import sys
import traceback
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING

from app.summary import turns

if TYPE_CHECKING:
    import typst

# A drawing not finished by then is stopped: the person is told, not left waiting.
DRAWING_SECONDS = 180.0

_PROJECT_ROOT = Path(__file__).resolve().parents[2]
# The template and its folder, the only files it may read.
_TEMPLATES = _PROJECT_ROOT / "templates" / "documents"
TEMPLATE = _TEMPLATES / "summary.typ"
_OK = b"ok"


@dataclass
class _Server:
    process: subprocess.Popen[bytes]
    requests: Connection
    replies: Connection


# One per app process, started and stopped only in the process's turn.
_server: _Server | None = None


class DrawingFailed(RuntimeError):
    """The PDF was not drawn: the drawing stopped, or took too long."""


def draw_pdf(document: bytes) -> bytes:
    """The tagged PDF of `document` (the JSON that `TEMPLATE` reads), typeset in a child
    process in this process's turn."""
    with turns.turn():
        server = _running_server()
        try:
            server.requests.send_bytes(document)
            if not server.replies.poll(DRAWING_SECONDS):
                raise DrawingFailed(f"The PDF was not drawn within {DRAWING_SECONDS:.0f} seconds.")
            status, payload = server.replies.recv_bytes(), server.replies.recv_bytes()
        except (OSError, EOFError) as error:
            _stop_server()
            raise DrawingFailed("The PDF drawing server stopped.") from error
        except DrawingFailed:
            _stop_server()
            raise
        if status != _OK:
            raise DrawingFailed(payload.decode())
        return payload


def _running_server() -> _Server:
    global _server
    if _server is None or _server.process.poll() is not None:
        if _server is not None:
            _stop_server()
        theirs_requests, requests = multiprocessing.Pipe(duplex=False)
        replies, theirs_replies = multiprocessing.Pipe(duplex=False)
        ends = (theirs_requests.fileno(), theirs_replies.fileno())
        process = subprocess.Popen(  # noqa: S603 (this module, and two descriptor numbers)
            [sys.executable, "-m", "app.summary.drawing", *map(str, ends)],
            cwd=_PROJECT_ROOT,
            pass_fds=ends,
            # It needs none of the app's settings, so it is given none of its secrets.
            env={
                name: value
                for name, value in os.environ.items()
                if not name.startswith("HOMEWARD_") and name != "DATABASE_URL"
            },
            # A group of its own, so that stopping it stops a child still drawing too.
            start_new_session=True,
        )
        theirs_requests.close()
        theirs_replies.close()
        _server = _Server(process, requests, replies)
    return _server


def _stop_server() -> None:
    global _server
    if _server is not None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(_server.process.pid, signal.SIGKILL)
        _server.process.wait()
        _server.requests.close()
        _server.replies.close()
        _server = None


def _draw(document: bytes, fonts: typst.Fonts) -> bytes:
    import typst

    # Tagged, so that screen readers follow the headings, lists and tables.
    pdf: bytes = typst.compile(
        TEMPLATE,
        root=_TEMPLATES,
        font_paths=fonts,
        sys_inputs={"document": document.decode()},
        pdf_tags=True,
    )
    return pdf


def _serve(requests: Connection, replies: Connection) -> None:
    """The drawing server: a child per PDF, until the app process closes `requests`."""
    import typst

    # Found once, here, rather than again in every child; finding them starts no thread.
    fonts = typst.Fonts()
    while True:
        try:
            document = requests.recv_bytes()
        except EOFError:
            return
        result, into = multiprocessing.Pipe(duplex=False)
        child = os.fork()
        if child == 0:
            result.close()
            code = 1
            try:
                into.send_bytes(_draw(document, fonts))
                code = 0
            except BaseException:
                traceback.print_exc()  # to the app's log, which the server shares
            finally:
                os._exit(code)
        into.close()
        pdf = b""
        with contextlib.suppress(EOFError):  # a child that ended without a PDF
            pdf = result.recv_bytes()
        result.close()
        code = os.waitstatus_to_exitcode(os.waitpid(child, 0)[1])
        if code == 0:
            replies.send_bytes(_OK)
            replies.send_bytes(pdf)
        else:
            replies.send_bytes(b"failed")
            replies.send_bytes(f"The PDF could not be drawn (it ended with {code}).".encode())


if __name__ == "__main__":
    _serve(
        Connection(int(sys.argv[1]), writable=False), Connection(int(sys.argv[2]), readable=False)
    )
