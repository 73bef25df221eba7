"""Supervisor review of a chronology: comments on entries and on the whole chronology, "mark as
reviewed" (who and when), and what changed since the last review, field by field."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import defer
from sqlmodel import Session, col, or_, select

from app.content.model import FrameworkContent
from app.db import has_written
from app.memo import Bounded
from app.models.accounts import User
from app.models.audit import AuditAction
from app.models.chronology import (
    ChronologyComment,
    ChronologyEntry,
    ChronologyReview,
    ChronologyWrittenAnalysis,
)
from app.models.family import Family
from app.services import access, audit, progress
from app.services.chronology import FIELD_LABELS, describe_event_date, entry_links
from app.services.chronology_analysis import OVERALL, SOURCES, chronology_version, scope_label
from app.services.records import Problems

COMMENT_MAX = 5000
# The fields of an entry a review compares (themes and children too).
COMPARED = (
    "occurred_on",
    "date_precision",
    "source_id",
    "source_detail",
    "what_happened",
    "who_was_involved",
    "impact_on_child",
    "response",
    "outcome",
    "significance",
    "parents_comments",
    "third_party",
)
_ENTRY_COLUMNS = [col(getattr(ChronologyEntry, name)) for name in COMPARED]
# What changed since a review, per review and chronology version, per app process.
CACHED_CHANGES = 256


@dataclass(frozen=True)
class Comment:
    comment: ChronologyComment
    author_name: str


@dataclass(frozen=True)
class Change:
    """One change since the last review, in words."""

    kind: str  # "added", "changed", "deleted", "analysis"
    subject: str
    detail: str
    at: datetime
    entry_id: uuid.UUID | None = None
    fields: list[str] = field(default_factory=list)


def _digest(value: Any) -> str:
    text = json.dumps(value, default=str, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def _fingerprints(
    session: Session, family: Family, entry_ids: list[uuid.UUID] | None = None
) -> dict[str, dict[str, Any]]:
    """Per entry (not deleted): its version and a short digest of each compared field."""
    query = select(col(ChronologyEntry.id), col(ChronologyEntry.version), *_ENTRY_COLUMNS).where(
        col(ChronologyEntry.family_id) == family.id,
        col(ChronologyEntry.deleted_at).is_(None),
    )
    if entry_ids is not None:
        query = query.where(col(ChronologyEntry.id).in_(entry_ids))
    rows: Sequence[Any] = session.exec(query).all()
    links = entry_links(session, [row[0] for row in rows])
    result: dict[str, dict[str, Any]] = {}
    for entry_id, version, *values in rows:
        fields = {name: _digest(value) for name, value in zip(COMPARED, values, strict=True)}
        fields["themes"] = _digest(sorted(links.themes[entry_id]))
        fields["children"] = _digest(sorted(str(child) for child in links.children[entry_id]))
        result[str(entry_id)] = {"version": version, "fields": fields}
    return result


def _analysis_fingerprints(session: Session, family: Family) -> dict[str, dict[str, Any]]:
    return {
        row.scope: {"version": row.version, "text": _digest(row.text)}
        for row in session.exec(
            select(ChronologyWrittenAnalysis).where(
                col(ChronologyWrittenAnalysis.family_id) == family.id,
                col(ChronologyWrittenAnalysis.deleted_at).is_(None),
            )
        ).all()
    }


def latest_review(session: Session, family: Family) -> tuple[ChronologyReview, str] | None:
    """The most recent review and the name of who made it. Its snapshot (a fingerprint of
    every entry: megabytes for a long history) is read only if `changes_since` needs it."""
    if not progress.records(session, family.id).chronology_reviews:
        return None
    row = session.exec(
        select(ChronologyReview, col(User.name))
        .options(defer(ChronologyReview.snapshot))  # type: ignore[arg-type]
        .join(User, col(User.id) == col(ChronologyReview.reviewed_by_id))
        .where(col(ChronologyReview.family_id) == family.id)
        .order_by(col(ChronologyReview.reviewed_at).desc())
        .limit(1)
    ).first()
    return (row[0], row[1]) if row else None


def mark_reviewed(
    session: Session, *, actor: audit.Actor, family: Family, note: str | None
) -> ChronologyReview:
    """Record that a supervisor reviewed the chronology as it stands now."""
    assert actor.user_id is not None
    _refuse_own_work(session, actor, family)
    problems = Problems()
    cleaned = problems.text("note", note, label="your note", max_length=COMMENT_MAX, required=False)
    problems.raise_if_any()
    review = ChronologyReview(
        family_id=family.id,
        reviewed_by_id=actor.user_id,
        note=cleaned,
        snapshot={
            "entries": _fingerprints(session, family),
            "analysis": _analysis_fingerprints(session, family),
        },
    )
    session.add(review)
    audit.record(
        session,
        actor,
        AuditAction.CREATE,
        entity_type="chronology_review",
        entity_id=review.id,
        family_id=family.id,
        details={"entries": len(review.snapshot["entries"]), "note": cleaned},
    )
    return review


_changes: Bounded[tuple[Any, ...], tuple[Change, ...]] = Bounded(CACHED_CHANGES)


def changes_since(
    session: Session, *, family: Family, content: FrameworkContent, review: ChronologyReview
) -> list[Change]:
    """What changed after `review`: entries added, changed (which fields) or deleted, and
    written analysis added or changed. Kept by the chronology's version, which every write
    changes: the chronology page shows the count on every visit."""
    key = (review.id, content.content_hash, chronology_version(session, family))
    return list(
        _changes.get_or_make(
            key,
            lambda: tuple(_changes_since(session, family=family, content=content, review=review)),
            shared=not has_written(session, *SOURCES, "chronology_review"),
        )
    )


def _changes_since(
    session: Session, *, family: Family, content: FrameworkContent, review: ChronologyReview
) -> list[Change]:
    """Only entries touched since the review are read."""
    touched = session.exec(
        select(ChronologyEntry).where(
            col(ChronologyEntry.family_id) == family.id,
            or_(
                col(ChronologyEntry.updated_at) > review.reviewed_at,
                col(ChronologyEntry.created_at) > review.reviewed_at,
            ),
        )
    ).all()
    now = _fingerprints(
        session, family, [entry.id for entry in touched if entry.deleted_at is None]
    )
    # The snapshot (deferred by `latest_review`) is read only when something was touched.
    before: dict[str, dict[str, Any]] = review.snapshot.get("entries", {}) if touched else {}
    changes: list[Change] = []
    for entry in touched:
        key = str(entry.id)
        subject = f"Entry of {describe_event_date(entry.occurred_on, entry.date_precision)}"
        if entry.deleted_at is not None:
            if key in before:
                changes.append(
                    Change(
                        "deleted",
                        subject,
                        f"Deleted: {entry.deleted_reason}",
                        entry.deleted_at,
                    )
                )
            continue
        if key not in before:
            changes.append(Change("added", subject, "Added", entry.created_at, entry_id=entry.id))
            continue
        old_fields = before[key]["fields"]
        new_fields = now[key]["fields"]
        differ = [name for name in new_fields if old_fields.get(name) != new_fields[name]]
        if differ:
            labels = [FIELD_LABELS.get(name, name) for name in differ]
            changes.append(
                Change(
                    "changed",
                    subject,
                    "Changed: " + ", ".join(labels),
                    entry.updated_at,
                    entry_id=entry.id,
                    fields=labels,
                )
            )
    written = session.exec(
        select(ChronologyWrittenAnalysis).where(
            col(ChronologyWrittenAnalysis.family_id) == family.id,
            col(ChronologyWrittenAnalysis.updated_at) > review.reviewed_at,
        )
    ).all()
    written_before: dict[str, dict[str, Any]] = (
        review.snapshot.get("analysis", {}) if written else {}
    )
    for row in written:
        earlier = written_before.get(row.scope)
        if earlier and earlier["text"] == _digest(row.text):
            continue
        try:
            subject = scope_label(content, row.scope)
        except KeyError:
            subject = row.scope
        changes.append(
            Change(
                "analysis",
                f"Written analysis of {subject}",
                "Changed" if earlier else "Written",
                row.updated_at,
            )
        )
    return sorted(changes, key=lambda change: change.at, reverse=True)


# Comments ------------------------------------------------------------------------------------


def add_comment(
    session: Session,
    *,
    actor: audit.Actor,
    family: Family,
    entry: ChronologyEntry | None,
    body: str,
) -> ChronologyComment:
    """A supervisor's comment on one entry, or (no entry) on the whole chronology."""
    assert actor.user_id is not None
    _refuse_own_work(session, actor, family)
    problems = Problems()
    cleaned = problems.text(
        "body", body, label="your comment", max_length=COMMENT_MAX, missing="Enter your comment"
    )
    problems.raise_if_any()
    assert cleaned is not None
    comment = ChronologyComment(
        family_id=family.id,
        entry_id=entry.id if entry else None,
        author_id=actor.user_id,
        body=cleaned,
    )
    session.add(comment)
    audit.record(
        session,
        actor,
        AuditAction.CREATE,
        entity_type="chronology_comment",
        entity_id=comment.id,
        family_id=family.id,
        details={"entry_id": entry.id if entry else None, "scope": OVERALL if not entry else ""},
    )
    return comment


def comments(session: Session, family: Family, *, entry: ChronologyEntry | None) -> list[Comment]:
    """Comments on `entry`, or on the whole chronology, oldest first."""
    condition = (
        col(ChronologyComment.entry_id) == entry.id
        if entry
        else col(ChronologyComment.entry_id).is_(None)
    )
    return [
        Comment(comment, name)
        for comment, name in session.exec(
            select(ChronologyComment, col(User.name))
            .join(User, col(User.id) == col(ChronologyComment.author_id))
            .where(col(ChronologyComment.family_id) == family.id, condition)
            .order_by(col(ChronologyComment.created_at))
        ).all()
    ]


def _refuse_own_work(session: Session, actor: audit.Actor, family: Family) -> None:
    # Review is a second pair of eyes, as sign-off is: a supervisor who is also the family's
    # allocated practitioner cannot review their own chronology.
    if access.is_own_work(actor, family):
        raise access.refuse(
            session,
            actor=actor,
            family=family,
            reason="supervisor reviewing a chronology of a family allocated to them",
            message=(
                "You cannot review the chronology of a family allocated to you: ask another "
                "supervisor in your team."
            ),
        )
