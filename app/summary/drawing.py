"""PDFs drawn by WeasyPrint in processes of their own, one at a time in each app process.

Drawn in the app process, the 5,000-entry summary held Python's lock for its 2.5 s of CPU, so
every other request of that process waited; the process kept about 65 MiB of WeasyPrint and
its layout afterwards; and a crash in Pango or cairo would have taken the process and its
requests with it.

So each app process starts a drawing server (`python -m app.summary.drawing`) the first time
it draws a PDF. The server loads WeasyPrint and its fonts once, then forks a child for each
PDF: the child draws it, hands it back and exits, and its memory goes back to the system. The
server is single-threaded, so forking it is safe; it exits when the app process closes its
pipe.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import struct
import subprocess
import sys
import traceback
from pathlib import Path
from typing import IO

from app.summary import turns

# A drawing not finished by then is stopped: the person is told, not left waiting.
DRAWING_SECONDS = 180.0

_PROJECT_ROOT = Path(__file__).resolve().parents[2]
_SIZE = struct.Struct(">Q")
_OK = b"ok"
# One per app process, started and stopped only in the process's turn.
_server: subprocess.Popen[bytes] | None = None


class DrawingFailed(RuntimeError):
    """The PDF was not drawn: the drawing stopped, or took too long."""


def draw_pdf(html: str, css: str) -> bytes:
    """The tagged PDF of `html` styled by `css`, drawn in a child process in this process's
    turn."""
    with turns.turn():
        server = _running_server()
        assert server.stdin is not None
        assert server.stdout is not None
        try:
            _send(server.stdin, html.encode(), css.encode())
            # poll, not select: a busy worker's descriptors can number past select's 1,024.
            waiting = select.poll()
            waiting.register(server.stdout, select.POLLIN)
            if not waiting.poll(DRAWING_SECONDS * 1000):
                raise DrawingFailed(f"The PDF was not drawn within {DRAWING_SECONDS:.0f} seconds.")
            status, payload = _receive(server.stdout, 2)
        except (OSError, EOFError) as error:
            _stop_server()
            raise DrawingFailed("The PDF drawing server stopped.") from error
        except DrawingFailed:
            _stop_server()
            raise
        if status != _OK:
            raise DrawingFailed(payload.decode())
        return payload


def _running_server() -> subprocess.Popen[bytes]:
    global _server
    if _server is None or _server.poll() is not None:
        _server = subprocess.Popen(
            [sys.executable, "-m", "app.summary.drawing"],
            cwd=_PROJECT_ROOT,
            # It needs none of the app's settings, so it is given none of its secrets.
            env={
                name: value
                for name, value in os.environ.items()
                if not name.startswith("HOMEWARD_") and name != "DATABASE_URL"
            },
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            # A group of its own, so that stopping it stops a child still drawing too.
            start_new_session=True,
        )
    return _server


def _stop_server() -> None:
    global _server
    if _server is not None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(_server.pid, signal.SIGKILL)
        _server.wait()
        _server = None


def _send(stream: IO[bytes], *parts: bytes) -> None:
    for part in parts:
        stream.write(_SIZE.pack(len(part)))
        stream.write(part)
    stream.flush()


def _receive(stream: IO[bytes], count: int) -> list[bytes]:
    parts = []
    for _ in range(count):
        header = stream.read(_SIZE.size)
        if len(header) < _SIZE.size:
            raise EOFError
        size = _SIZE.unpack(header)[0]
        part = stream.read(size)
        if len(part) < size:
            raise EOFError
        parts.append(part)
    return parts


def _draw(html: bytes, css: bytes) -> bytes:
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration
    from weasyprint.urls import URLFetcher

    fonts = FontConfiguration()
    # The document is ours and fetches nothing: no address in anyone's text is ever opened.
    document = HTML(string=html.decode(), url_fetcher=URLFetcher(allowed_protocols=()))
    pdf: bytes = document.write_pdf(
        stylesheets=[CSS(string=css.decode(), font_config=fonts)], font_config=fonts, pdf_tags=True
    )
    return pdf


def _serve(requests: IO[bytes], replies: IO[bytes]) -> None:
    """The drawing server: a child per PDF, until the app process closes `requests`."""
    # Fonts found and Pango loaded once, here, rather than again in every child.
    _draw(b"<p>Homeward</p>", b"")
    while True:
        try:
            html, css = _receive(requests, 2)
        except EOFError:
            return
        result, into = os.pipe()
        child = os.fork()
        if child == 0:
            os.close(result)
            code = 1
            try:
                with open(into, "wb") as out:
                    out.write(_draw(html, css))
                code = 0
            except BaseException:
                traceback.print_exc()  # to the app's log, which the server shares
            finally:
                os._exit(code)
        os.close(into)
        with open(result, "rb") as drawn:
            pdf = drawn.read()
        code = os.waitstatus_to_exitcode(os.waitpid(child, 0)[1])
        if code == 0:
            _send(replies, _OK, pdf)
        else:
            failed = f"The PDF could not be drawn (it ended with {code})."
            _send(replies, b"failed", failed.encode())


if __name__ == "__main__":
    # Replies go to a copy of standard output; anything printed goes to the log instead.
    replies = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    _serve(sys.stdin.buffer, replies)
