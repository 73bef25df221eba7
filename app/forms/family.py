"""Turning family page forms into the details services validate.

Pages parse what only a page has (three-part dates, yes/no radios, numbers typed as text);
services check everything else, so the API gets the same rules and messages.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from app.forms import FormState
from app.models.family import Child
from app.security.input import FIRST_YEAR, LAST_YEAR, value_problem
from app.services.families import (
    AdultDetails,
    ChildDetails,
    ContactDetails,
    EpisodeDetails,
    FamilyDetails,
    ReturnDetails,
    role_field,
)

CHILD_FIELDS = (
    "name",
    "date_of_birth",
    "gender",
    "ethnicity",
    "legal_status",
    "legal_status_detail",
    "date_entered_care",
    "entry_reason",
    "entry_reason_detail",
    "placement_type",
    "placement_moves",
)
ADULT_FIELDS = (
    "name",
    "relationship",
    "relationship_detail",
    "parental_responsibility",
    "lives_in_household",
)
CONTACT_FIELDS = ("name", "role", "organisation", "contact_details", "notes")
RETURN_FIELDS = (
    "returned_on",
    "planned",
    "returned_to",
    "broke_down",
    "ended_on",
    "breakdown_cause",
    "notes",
)
EPISODE_FIELDS = ("started_on", "ended_on", "legal_status", "placements", "notes")
FAMILY_FIELDS = ("reference", "display_name", "allocated_practitioner_id")
DATE_FIELDS = ("date_of_birth", "date_entered_care", "returned_on", "ended_on", "started_on")


class ParsedForm:
    """Values parsed from a page form, with the problems only the page can find."""

    def __init__(self, values: Mapping[str, Any]) -> None:
        self.values = values
        self.errors: dict[str, str] = {}

    def text(self, name: str) -> str:
        value = self.values.get(name, "")
        return value if isinstance(value, str) else ""

    def optional_text(self, name: str) -> str | None:
        return self.text(name).strip() or None

    def yes_no(self, name: str) -> bool | None:
        return {"yes": True, "no": False}.get(self.text(name))

    def whole_number(self, name: str, label: str) -> int | None:
        raw = self.text(name).strip()
        if not raw:
            return None
        try:
            number = int(raw)
        except ValueError:
            self.errors[name] = f"{label} must be a whole number, like 3"
            return None
        problem = value_problem(number, label)
        if problem:
            self.errors[name] = problem
            return None
        return number

    def uuid(self, name: str) -> uuid.UUID | None:
        try:
            return uuid.UUID(self.text(name)) if self.text(name) else None
        except ValueError:
            return None

    def date(self, name: str, label: str) -> date | None:
        """A GOV.UK date input (name-day, name-month, name-year), explained as the Design
        System asks: what is missing, or that it is not a real date."""
        parts = {part: self.text(f"{name}-{part}").strip() for part in ("day", "month", "year")}
        if not any(parts.values()):
            return None
        missing = [part for part, value in parts.items() if not value]
        if missing:
            self.errors[name] = f"{label} must include a {' and '.join(missing)}"
            return None
        try:
            day, month, year = (int(parts[p]) for p in ("day", "month", "year"))
            if not FIRST_YEAR <= year <= LAST_YEAR:
                raise ValueError
            return date(year, month, day)
        except (ValueError, OverflowError):  # date() overflows on a month like 10**30
            self.errors[name] = f"{label} must be a real date"
            return None


def date_parts(name: str, value: date | None) -> dict[str, str]:
    """Form values for a date input showing `value`."""
    if value is None:
        return {f"{name}-day": "", f"{name}-month": "", f"{name}-year": ""}
    return {
        f"{name}-day": str(value.day),
        f"{name}-month": str(value.month),
        f"{name}-year": str(value.year),
    }


def form_state(
    values: Mapping[str, Any],
    page_errors: Mapping[str, str],
    service_errors: Mapping[str, str],
    order: Sequence[str],
) -> FormState:
    """The form to re-render: page problems win over the service's for the same field, and
    the error summary follows the order of the fields on the page."""
    merged = {**service_errors, **page_errors}
    ordered = {name: merged[name] for name in order if name in merged}
    ordered.update({name: message for name, message in merged.items() if name not in ordered})
    anchors = {name: f"{name}-day" for name in ordered if name in DATE_FIELDS}
    return FormState(values=dict(values), errors=ordered, anchors=anchors)


def family_details(form: ParsedForm) -> FamilyDetails:
    return FamilyDetails(
        reference=form.text("reference"),
        display_name=form.text("display_name"),
        allocated_practitioner_id=form.uuid("allocated_practitioner_id"),
    )


def child_details(form: ParsedForm) -> ChildDetails:
    return ChildDetails(
        name=form.text("name"),
        date_of_birth=form.date("date_of_birth", "Date of birth"),
        gender=form.text("gender"),
        ethnicity=form.optional_text("ethnicity"),
        legal_status=form.text("legal_status"),
        legal_status_detail=form.optional_text("legal_status_detail"),
        date_entered_care=form.date("date_entered_care", "The date the child came into care"),
        entry_reason=form.text("entry_reason"),
        entry_reason_detail=form.optional_text("entry_reason_detail"),
        placement_type=form.text("placement_type"),
        placement_moves=form.whole_number("placement_moves", "Placement moves"),
    )


def adult_fields(children: Sequence[Child]) -> tuple[str, ...]:
    """The adult form's fields in page order: one role question per child."""
    return ADULT_FIELDS + tuple(role_field(child.id) for child in children)


def adult_details(form: ParsedForm, children: Sequence[Child]) -> AdultDetails:
    return AdultDetails(
        name=form.text("name"),
        relationship=form.text("relationship"),
        relationship_detail=form.optional_text("relationship_detail"),
        parental_responsibility=form.yes_no("parental_responsibility"),
        lives_in_household=form.yes_no("lives_in_household"),
        # A role left unanswered follows from the relationship and household
        # (services.people.default_role); the page says so.
        child_roles={
            str(child.id): form.text(role_field(child.id))
            for child in children
            if form.text(role_field(child.id))
        },
    )


def contact_details(form: ParsedForm, kind: str) -> ContactDetails:
    return ContactDetails(
        kind=kind,
        name=form.text("name"),
        role=form.text("role"),
        organisation=form.optional_text("organisation"),
        contact_details=form.optional_text("contact_details"),
        notes=form.optional_text("notes"),
    )


def return_details(form: ParsedForm) -> ReturnDetails:
    return ReturnDetails(
        returned_on=form.date("returned_on", "The date the child went home"),
        ended_on=form.date("ended_on", "The date the return ended"),
        broke_down=form.yes_no("broke_down"),
        notes=form.optional_text("notes"),
        planned=form.optional_text("planned"),
        returned_to=form.optional_text("returned_to"),
        # Only a breakdown has a cause: a cause left selected under "No" is dropped.
        breakdown_cause=form.optional_text("breakdown_cause")
        if form.yes_no("broke_down")
        else None,
    )


def episode_details(form: ParsedForm) -> EpisodeDetails:
    return EpisodeDetails(
        started_on=form.date("started_on", "The date the child came into care"),
        ended_on=form.date("ended_on", "The date this time in care ended"),
        legal_status=form.optional_text("legal_status"),
        placements=form.whole_number("placements", "Placements"),
        notes=form.optional_text("notes"),
    )
