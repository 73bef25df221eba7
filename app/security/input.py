"""Checks every value a person or program sends must pass before it goes near the database.

PostgreSQL refuses NUL in text and numbers beyond its column types; both used to surface as
500s. Page forms and API models check each value here and explain the problem instead.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

# Control characters (but tab, line feed and carriage return) never belong in case notes;
# they usually come from pasting out of other systems, break exports, and PostgreSQL refuses
# NUL outright. Zero-width and line/paragraph separators hide text from the reader.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b\u2028\u2029\ufeff]")
# The largest whole number any field takes: PostgreSQL's INTEGER, the type of our counters
# and version columns. Nothing a person counts in this service comes near it.
MAX_INTEGER = 2**31 - 1
# Dates this service records (births, care, events, reviews) fall well inside these years;
# outside them, date arithmetic (the day after 31 December 9999) overflows.
FIRST_YEAR, LAST_YEAR = 1900, 2200


def has_control_characters(value: str) -> bool:
    return CONTROL_CHARACTERS.search(value) is not None


def value_problem(value: Any, label: str) -> str | None:
    """What is wrong with one submitted value (a string, number or list of them), or None."""
    if isinstance(value, str) and has_control_characters(value):
        return f"Remove the hidden control characters from {label}"
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_INTEGER:
        return f"{label[:1].upper()}{label[1:]} must be a number smaller than {MAX_INTEGER:,}"
    if isinstance(value, date) and not FIRST_YEAR <= value.year <= LAST_YEAR:
        return f"{label[:1].upper()}{label[1:]} must be between {FIRST_YEAR} and {LAST_YEAR}"
    if isinstance(value, list | tuple | set | frozenset):
        for item in value:
            problem = value_problem(item, label)
            if problem:
                return problem
    return None
