"""The audit trail indexed by family, action and time instead of family alone: "what changed in
this family since the last review" read every one of the family's audit entries, most of them
views (one for each time anyone opened the family's record), to keep its few changes.

Revision ID: 0015_audit_family_changes
Revises: 0014_people_history
Create Date: 2026-12-07 05:35:00.000000
"""

from collections.abc import Sequence

from alembic import op


revision: str = '0015_audit_family_changes'
down_revision: str | Sequence[str] | None = '0014_people_history'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain index statements: SQLite needs no copy of the table (whose triggers keep it
    # append-only) for these.
    op.drop_index('ix_audit_event_family_id', table_name='audit_event')
    op.create_index(
        'ix_audit_event_family_action_at', 'audit_event', ['family_id', 'action', 'at']
    )


def downgrade() -> None:
    op.drop_index('ix_audit_event_family_action_at', table_name='audit_event')
    op.create_index('ix_audit_event_family_id', 'audit_event', ['family_id'])
