"""Turning chronology page forms into what the chronology services validate."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date
from typing import Any

from app.forms import FormState
from app.forms.family import ParsedForm, form_state
from app.services.chronology import DATE_PRECISIONS, EntryDetails, EntryRow

ENTRY_FIELDS = (
    "occurred_on",
    "date_precision",
    "source_id",
    "source_detail",
    "what_happened",
    "who_was_involved",
    "children",
    "impact_on_child",
    "response",
    "outcome",
    "themes",
    "significance",
    "parents_comments",
    "third_party",
)


def many(values: Mapping[str, Any], name: str) -> list[str]:
    """A checkbox group's values (one ticked box arrives as a plain string)."""
    value = values.get(name, [])
    items = [value] if isinstance(value, str) else list(value)
    return [item for item in items if isinstance(item, str) and item]


def event_date(form: ParsedForm, precision: str) -> date | None:
    """The date input read for the precision chosen: a month needs no day, a year neither."""
    parts = {part: form.text(f"occurred_on-{part}").strip() for part in ("day", "month", "year")}
    needed = {
        "day": ("day", "month", "year"),
        "month": ("month", "year"),
        "approximate": ("month", "year"),
        "year": ("year",),
        "approximate_year": ("year",),
    }.get(precision, ("day", "month", "year"))
    if not any(parts[part] for part in needed):
        return None
    missing = [part for part in needed if not parts[part]]
    if missing:
        form.errors["occurred_on"] = f"The date must include a {' and '.join(missing)}"
        return None
    try:
        year = int(parts["year"])
        month = int(parts["month"]) if "month" in needed else 1
        day = int(parts["day"]) if "day" in needed else 1
        if year < 1000:
            raise ValueError
        return date(year, month, day)
    except (ValueError, OverflowError):  # date() overflows on a month like 10**30
        form.errors["occurred_on"] = "The date must be a real date"
        return None


def entry_details(form: ParsedForm) -> EntryDetails:
    precision = form.text("date_precision")
    children: list[uuid.UUID] = []
    for value in many(form.values, "children"):
        try:
            children.append(uuid.UUID(value))
        except ValueError:
            # The nil id belongs to no family, so the service refuses it with its message.
            children.append(uuid.UUID(int=0))
    return EntryDetails(
        occurred_on=event_date(form, precision if precision in DATE_PRECISIONS else "day"),
        date_precision=precision,
        source_id=form.text("source_id"),
        source_detail=form.optional_text("source_detail"),
        what_happened=form.text("what_happened"),
        who_was_involved=form.optional_text("who_was_involved"),
        impact_on_child=form.optional_text("impact_on_child"),
        response=form.optional_text("response"),
        outcome=form.optional_text("outcome"),
        theme_ids=tuple(many(form.values, "themes")),
        significance=form.text("significance"),
        parents_comments=form.optional_text("parents_comments"),
        third_party=form.text("third_party") == "yes",
        child_ids=tuple(children),
    )


def entry_form_state(
    values: Mapping[str, Any], page_errors: Mapping[str, str], service_errors: Mapping[str, str]
) -> FormState:
    state = form_state(values, page_errors, service_errors, ENTRY_FIELDS)
    # Error summary links go to the first input of a group.
    state.anchors.update(
        {
            name: anchor
            for name, anchor in {
                "occurred_on": "occurred_on-day",
                "themes": "themes",
                "children": "children",
                "significance": "significance",
                "date_precision": "date_precision",
            }.items()
            if name in state.errors
        }
    )
    if state.errors.get("occurred_on") and values.get("date_precision") in {"month", "approximate"}:
        state.anchors["occurred_on"] = "occurred_on-month"
    if state.errors.get("occurred_on") and values.get("date_precision") in {
        "year",
        "approximate_year",
    }:
        state.anchors["occurred_on"] = "occurred_on-year"
    return state


def entry_values(row: EntryRow) -> dict[str, Any]:
    """The form values showing a saved entry."""
    entry = row.entry
    return {
        "occurred_on-day": str(entry.occurred_on.day) if entry.date_precision == "day" else "",
        "occurred_on-month": ""
        if entry.date_precision in {"year", "approximate_year"}
        else str(entry.occurred_on.month),
        "occurred_on-year": str(entry.occurred_on.year),
        "date_precision": entry.date_precision,
        "source_id": entry.source_id,
        "source_detail": entry.source_detail or "",
        "what_happened": entry.what_happened,
        "who_was_involved": entry.who_was_involved or "",
        "children": [str(child) for child in row.child_ids],
        "impact_on_child": entry.impact_on_child or "",
        "response": entry.response or "",
        "outcome": entry.outcome or "",
        "themes": list(row.theme_ids),
        "significance": entry.significance,
        "parents_comments": entry.parents_comments or "",
        "third_party": "yes" if entry.third_party else "",
        "version": entry.version,
    }
