"""People's roles toward each child; earlier returns planned or not, to whom and why they broke
down; earlier times in care per child. Existing adults get the role their relationship and
household gave them.

Revision ID: 0014_people_history
Revises: 0013_level_set_by
Create Date: 2026-12-06 03:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0014_people_history'
down_revision: str | Sequence[str] | None = '0013_level_set_by'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The rule app.services.people.default_role applies, frozen here as it was when this ran.
PARENTS = {'mother', 'father', 'step-parent'}


def _role(relationship: str, lives_in_household: bool) -> str:
    if relationship == 'partner-of-parent':
        return 'partner'
    if lives_in_household:
        return 'household-carer'
    return 'parent-outside' if relationship in PARENTS else 'other'


def upgrade() -> None:
    op.create_table('care_episode',
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('deleted_reason', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('deleted_by_id', sa.Uuid(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('child_id', sa.Uuid(), nullable=False),
    sa.Column('started_on', sa.Date(), nullable=False),
    sa.Column('ended_on', sa.Date(), nullable=False),
    sa.Column('legal_status', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('placements', sa.Integer(), nullable=False),
    sa.Column('notes', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
    sa.ForeignKeyConstraint(['child_id'], ['child.id'], name=op.f('fk_care_episode_child_id_child')),
    sa.ForeignKeyConstraint(['deleted_by_id'], ['user_account.id'], name=op.f('fk_care_episode_deleted_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_care_episode'))
    )
    with op.batch_alter_table('care_episode', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_care_episode_child_id'), ['child_id'], unique=False)

    with op.batch_alter_table('earlier_return', schema=None) as batch_op:
        batch_op.add_column(sa.Column('planned', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True))
        batch_op.add_column(sa.Column('returned_to', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True))
        batch_op.add_column(sa.Column('breakdown_cause', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))

    with op.batch_alter_table('adult', schema=None) as batch_op:
        batch_op.add_column(sa.Column('child_roles', sa.JSON(), nullable=False, server_default='{}'))
    with op.batch_alter_table('adult', schema=None) as batch_op:
        batch_op.alter_column('child_roles', server_default=None)

    # Each adult's role toward each living child of their family, from what was recorded.
    bind = op.get_bind()
    adult = sa.table('adult', sa.column('id', sa.Uuid()), sa.column('family_id', sa.Uuid()),
                     sa.column('relationship', sa.String()), sa.column('lives_in_household', sa.Boolean()),
                     sa.column('child_roles', sa.JSON()))
    child = sa.table('child', sa.column('id', sa.Uuid()), sa.column('family_id', sa.Uuid()))
    children: dict = {}
    for child_id, family_id in bind.execute(sa.select(child.c.id, child.c.family_id)):
        children.setdefault(family_id, []).append(str(child_id))
    for adult_id, family_id, relationship, lives in bind.execute(
        sa.select(adult.c.id, adult.c.family_id, adult.c.relationship, adult.c.lives_in_household)
    ).all():
        role = _role(relationship, bool(lives))
        roles = {child_id: role for child_id in children.get(family_id, [])}
        bind.execute(adult.update().where(adult.c.id == adult_id).values(child_roles=roles))


def downgrade() -> None:
    with op.batch_alter_table('adult', schema=None) as batch_op:
        batch_op.drop_column('child_roles')
    with op.batch_alter_table('earlier_return', schema=None) as batch_op:
        batch_op.drop_column('breakdown_cause')
        batch_op.drop_column('returned_to')
        batch_op.drop_column('planned')
    with op.batch_alter_table('care_episode', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_care_episode_child_id'))
    op.drop_table('care_episode')
