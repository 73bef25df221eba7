"""Where a person may be sent back to after signing in."""

from __future__ import annotations

from urllib.parse import urlsplit

MAX_NEXT_LENGTH = 2000


def is_safe_next(path: str) -> bool:
    """Only paths on this site, never another host: `//evil.example`, `/\\evil`, and
    `/<tab>/evil.example` (browsers drop tabs and line feeds from URLs) all count as another
    host, as does anything with a scheme."""
    if not path.startswith("/") or len(path) > MAX_NEXT_LENGTH:
        return False
    if any(ord(character) <= 0x20 or ord(character) == 0x7F for character in path):
        return False
    if path.startswith("//") or "\\" in path:
        return False
    parts = urlsplit(path)
    return not parts.scheme and not parts.netloc
