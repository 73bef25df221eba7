"""The rules that set a classification's suggested level, in a column of their own

Reports count suggestions by rule; reading each classification's whole explanation (about
20 KB of JSON) for it took most of the risk report's time.

Revision ID: 0013_level_set_by
Revises: 0012_report_teams
Create Date: 2026-12-06 03:25:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0013_level_set_by'
down_revision: str | Sequence[str] | None = '0012_report_teams'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('classification', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('level_set_by', sa.JSON(), nullable=False, server_default=sa.text("'[]'"))
        )
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(
            "UPDATE classification "
            "SET level_set_by = COALESCE(CAST(explanation AS JSON) -> 'set_by', '[]'::json)"
        )
    else:
        op.execute(
            "UPDATE classification "
            "SET level_set_by = COALESCE(json_extract(explanation, '$.set_by'), '[]')"
        )


def downgrade() -> None:
    with op.batch_alter_table('classification', schema=None) as batch_op:
        batch_op.drop_column('level_set_by')
