"""Page numbers for long lists: whatever page is asked for, the one shown exists."""

from __future__ import annotations


def page_count(total: int, page_size: int) -> int:
    return max(1, -(-total // page_size))


def clamp_page(page: int, *, total: int, page_size: int) -> int:
    """The page to show: 1 for zero or less, the last page for anything past it. Clamping
    before the OFFSET is computed also keeps a page like 10**30 away from the database,
    which would refuse the OFFSET as out of range."""
    return min(max(1, page), page_count(total, page_size))
