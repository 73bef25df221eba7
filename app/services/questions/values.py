"""Answers as values: read from their typed database columns, shown in form fields, and parsed
from a posted form and checked against their question (types, options, bounds, dates)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date
from typing import Any

from app.content.model import FrameworkContent
from app.content.schema import Question
from app.content.snapshot import AnswerValue
from app.models.assessment import AssessmentAnswer
from app.services.questions.tree import ANSWER, field_id
from app.services.records import Problems
from app.timeutil import london_today


def value_of(row: AssessmentAnswer, question: Question | None) -> AnswerValue | None:
    """An answer's value as the rules engine reads it."""
    kind = question.type if question else None
    if kind in {"short_text", "long_text"} or (kind is None and row.value_text is not None):
        return row.value_text
    if kind == "yes_no" or (kind is None and row.value_bool is not None):
        return row.value_bool
    if kind == "single_choice" or (kind is None and row.value_choice is not None):
        return row.value_choice
    if kind in {"multiple_choice", "factor_checklist"} or (
        kind is None and row.value_choices is not None
    ):
        return tuple(row.value_choices or ())
    if kind == "date" or (kind is None and row.value_date is not None):
        return row.value_date
    if row.value_number is None:
        return None
    integer = kind == "scale" or getattr(question, "integer", False) or kind is None
    if integer and float(row.value_number).is_integer():
        return int(row.value_number)
    return row.value_number


def columns_for(question: Question, value: AnswerValue) -> dict[str, Any]:
    columns: dict[str, Any] = {
        "value_text": None,
        "value_choice": None,
        "value_choices": None,
        "value_date": None,
        "value_number": None,
        "value_bool": None,
    }
    if question.type in {"short_text", "long_text"}:
        columns["value_text"] = value
    elif question.type == "yes_no":
        columns["value_bool"] = value
    elif question.type == "single_choice":
        columns["value_choice"] = value
    elif question.type in {"multiple_choice", "factor_checklist"}:
        columns["value_choices"] = list(value) if isinstance(value, tuple) else [value]
    elif question.type == "date":
        columns["value_date"] = value
    else:
        columns["value_number"] = float(value) if not isinstance(value, date | tuple) else None
    return columns


def form_fields(key: str, question: Question, value: AnswerValue | None) -> dict[str, Any]:
    """The form fields that show one answer."""
    name = ANSWER + key
    if value is None:
        return {}
    if isinstance(value, bool):
        return {name: "yes" if value else "no"}
    if isinstance(value, date):
        return {
            f"{name}-day": str(value.day),
            f"{name}-month": str(value.month),
            f"{name}-year": str(value.year),
        }
    if isinstance(value, tuple):
        return {name: list(value)}
    if isinstance(value, float):
        return {name: f"{value:g}"}
    return {name: str(value)}


def posted(form: Mapping[str, Any], name: str) -> str:
    raw = form.get(name, "")
    if isinstance(raw, list):
        raw = raw[0] if raw else ""
    return str(raw).strip()


def posted_list(form: Mapping[str, Any], name: str) -> list[str]:
    raw = form.get(name, [])
    values = raw if isinstance(raw, list) else [raw]
    return [str(item).strip() for item in values if str(item).strip()]


def option_ids(content: FrameworkContent, question: Question) -> list[str]:
    if question.type == "factor_checklist":
        wanted = set(getattr(question, "kinds", ()))
        domains = set(getattr(question, "domains", ()))
        return [
            factor_id
            for factor_id, info in content.factors.items()
            if info.domain.id in domains and info.kind in wanted
        ]
    if question.type == "scale":
        points = getattr(question, "points", None)
        if points:
            return [str(point.value) for point in points]
        low, high = getattr(question, "min", 0) or 0, getattr(question, "max", 0) or 0
        return [str(value) for value in range(low, high + 1)]
    return [option.id for option in content.options(question.id)]


def parse_value(
    content: FrameworkContent,
    question: Question,
    form: Mapping[str, Any],
    name: str,
    problems: Problems,
    *,
    where: str,
) -> AnswerValue | None:
    """One posted answer, checked against its question; None when left empty."""
    label = f"‘{question.label}’{where}"
    error_id = field_id(name)
    kind = question.type
    if kind in {"short_text", "long_text"}:
        text = problems.text(
            error_id,
            posted(form, name),
            label=f"the answer to {label}",
            max_length=getattr(question, "max_length", 200),
            required=False,
        )
        return text or None
    if kind == "yes_no":
        raw = posted(form, name)
        if raw in {"", "yes", "no"}:
            return None if raw == "" else raw == "yes"
        problems.add(error_id, f"Select yes or no for {label}")
        return None
    if kind in {"single_choice", "scale"}:
        raw = posted(form, name)
        if not raw:
            return None
        if raw not in option_ids(content, question):
            problems.add(error_id, f"Select one of the options given for {label}")
            return None
        return int(raw) if kind == "scale" else raw
    if kind in {"multiple_choice", "factor_checklist"}:
        chosen = posted_list(form, name)
        allowed = option_ids(content, question)
        if any(item not in allowed for item in chosen):
            problems.add(error_id, f"Select only the options given for {label}")
            return None
        return tuple(item for item in allowed if item in chosen) or None
    if kind == "date":
        return _parse_date(question, form, name, problems, label, error_id)
    if kind == "number":
        return _parse_number(question, posted(form, name), problems, label, error_id)
    return None


def _parse_date(
    question: Question,
    form: Mapping[str, Any],
    name: str,
    problems: Problems,
    label: str,
    error_id: str,
) -> date | None:
    parts = [posted(form, f"{name}-{part}") for part in ("day", "month", "year")]
    if not any(parts):
        return None
    error_id = field_id(f"{name}-day")
    if not all(part.isdigit() for part in parts):
        problems.add(error_id, f"Enter a real date for {label}, for example 27 3 2025")
        return None
    day, month, year = (int(part) for part in parts)
    try:
        value = date(year, month, day)
    except (ValueError, OverflowError):  # date() overflows on a year like 10**30
        problems.add(error_id, f"Enter a real date for {label}, for example 27 3 2025")
        return None
    if year < 1900:
        problems.add(error_id, f"Enter a year after 1900 for {label}")
        return None
    if not getattr(question, "allow_future", True) and value > london_today():
        problems.add(error_id, f"The date for {label} must be today or in the past")
        return None
    return value


def _parse_number(
    question: Question, raw: str, problems: Problems, label: str, error_id: str
) -> int | float | None:
    if not raw:
        return None
    try:
        number = float(raw.replace(",", ""))
    except ValueError:
        number = math.nan
    integer = getattr(question, "integer", True)
    if math.isnan(number) or math.isinf(number) or (integer and not number.is_integer()):
        kind = "a whole number" if integer else "a number"
        problems.add(error_id, f"Enter {kind} for {label}")
        return None
    low, high = getattr(question, "min", None), getattr(question, "max", None)
    if (low is not None and number < low) or (high is not None and number > high):
        if low is not None and high is not None:
            allowed = f"from {low:g} to {high:g}"
        elif low is not None:
            allowed = f"of {low:g} or more"
        else:
            allowed = f"of {high:g} or less"
        problems.add(error_id, f"Enter a number {allowed} for {label}")
        return None
    return int(number) if integer else number


def empty(value: AnswerValue | None) -> bool:
    return value is None or value == "" or value == ()


def choices(content: FrameworkContent, question: Question) -> list[tuple[str, str, str | None]]:
    """A choice question's options as (value, label, hint), for its radios or checkboxes."""
    if question.type == "factor_checklist":
        return [
            (factor_id, content.factors[factor_id].factor.text, None)
            for factor_id in option_ids(content, question)
        ]
    points = getattr(question, "points", None)
    if question.type == "scale":
        if points:
            return [(str(point.value), point.label, None) for point in points]
        low, high = getattr(question, "min", 0), getattr(question, "max", 0)
        ends = {
            low: getattr(question, "min_label", None),
            high: getattr(question, "max_label", None),
        }
        return [(str(value), str(value), ends.get(value)) for value in range(low, high + 1)]
    return [
        (option.id, option.label, getattr(option, "hint", None))
        for option in content.options(question.id)
    ]
