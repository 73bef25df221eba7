"""Errors services raise; app.errors turns them into pages or JSON."""

from __future__ import annotations

from typing import Any


class ServiceError(Exception):
    """Base for errors a person can act on; the message is shown to them."""


class NotFound(ServiceError):
    pass


class Forbidden(ServiceError):
    pass


class InvalidInput(ServiceError):
    """Input that fails validation: `errors` maps field ids to instructions."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors


class Conflict(ServiceError):
    """Someone else saved the record first. `current` is what is saved now."""

    def __init__(self, message: str, *, current: Any = None) -> None:
        super().__init__(message)
        self.current = current
