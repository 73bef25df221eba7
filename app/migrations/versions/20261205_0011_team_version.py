"""Teams can be renamed: a version for optimistic locking

Revision ID: 0011_team_version
Revises: 0010_api_tokens
Create Date: 2026-12-05 23:59:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0011_team_version'
down_revision: str | Sequence[str] | None = '0010_api_tokens'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('team', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version', sa.Integer(), nullable=False, server_default='1'))


def downgrade() -> None:
    with op.batch_alter_table('team', schema=None) as batch_op:
        batch_op.drop_column('version')
