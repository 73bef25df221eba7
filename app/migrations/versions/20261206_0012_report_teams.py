"""The teams whose reports a manager reads, where an administrator chose some

Revision ID: 0012_report_teams
Revises: 0011_team_version
Create Date: 2026-12-06 03:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0012_report_teams'
down_revision: str | Sequence[str] | None = '0011_team_version'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('report_team',
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('team_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['team_id'], ['team.id'], name=op.f('fk_report_team_team_id_team')),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_report_team_user_id_user_account')),
    sa.PrimaryKeyConstraint('user_id', 'team_id', name=op.f('pk_report_team'))
    )


def downgrade() -> None:
    op.drop_table('report_team')
