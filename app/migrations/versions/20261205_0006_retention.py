"""retention: the audit trail allows only what the retention schedule removes

Revision ID: 0006_retention
Revises: 0005
Create Date: 2026-12-05 11:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_retention"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Columns an allowed redaction must leave as they were (only `details` may change).
KEPT = (
    "id",
    "at",
    "user_id",
    "action",
    "entity_type",
    "entity_id",
    "family_id",
    "request_id",
    "client_address",
    "path",
)
REFUSE = "audit_event is append-only"


def upgrade() -> None:
    op.create_table(
        "audit_retention",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("purge_before", sa.DateTime(timezone=True), nullable=True),
        sa.Column("redact_family_id", sa.Uuid(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_retention")),
    )
    if op.get_bind().dialect.name == "postgresql":
        # Every column but `details` compared at once, including any a later migration adds.
        op.execute(
            "CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger "
            "LANGUAGE plpgsql AS $$ BEGIN "
            "IF TG_OP = 'DELETE' AND EXISTS (SELECT 1 FROM audit_retention "
            "WHERE OLD.at < purge_before) THEN RETURN OLD; END IF; "
            "IF TG_OP = 'UPDATE' AND EXISTS (SELECT 1 FROM audit_retention "
            "WHERE redact_family_id = OLD.family_id) "
            "AND (to_jsonb(NEW) - 'details') = (to_jsonb(OLD) - 'details') THEN RETURN NEW; "
            f"END IF; RAISE EXCEPTION '{REFUSE}'; END $$"
        )
    else:
        unchanged = " AND ".join(f"NEW.{name} IS OLD.{name}" for name in KEPT)
        op.execute("DROP TRIGGER audit_event_no_update")
        op.execute("DROP TRIGGER audit_event_no_delete")
        op.execute(
            "CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event "
            "WHEN NOT (EXISTS (SELECT 1 FROM audit_retention "
            f"WHERE redact_family_id = OLD.family_id) AND {unchanged}) "
            f"BEGIN SELECT RAISE(ABORT, '{REFUSE}'); END"
        )
        op.execute(
            "CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event "
            "WHEN NOT EXISTS (SELECT 1 FROM audit_retention WHERE OLD.at < purge_before) "
            f"BEGIN SELECT RAISE(ABORT, '{REFUSE}'); END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger "
            f"LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION '{REFUSE}'; END $$"
        )
    else:
        for event in ("UPDATE", "DELETE"):
            op.execute(f"DROP TRIGGER audit_event_no_{event.lower()}")
            op.execute(
                f"CREATE TRIGGER audit_event_no_{event.lower()} BEFORE {event} ON audit_event "
                f"BEGIN SELECT RAISE(ABORT, '{REFUSE}'); END"
            )
    op.drop_table("audit_retention")
