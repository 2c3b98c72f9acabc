"""live rooms: a conference per phone session, its participants, and sessions' may_be_recorded

Revision ID: 0003_g
Revises: 0003_h
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

revision: str = '0003_g'
down_revision: Union[str, Sequence[str], None] = '0003_h'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('live_room',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('conference_sid', sa.String(length=64), nullable=True),
    sa.Column('started_at', sa.DateTime(), nullable=True),
    sa.Column('ended_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['session_id'], ['session.id'], name=op.f('fk_live_room_session_id_session'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_live_room')),
    sa.UniqueConstraint('session_id', name=op.f('uq_live_room_session_id'))
    )
    op.create_table('room_participant',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('caller_id', sa.Integer(), nullable=True),
    sa.Column('call_sid', sa.String(length=64), nullable=False),
    sa.Column('host', sa.Boolean(), nullable=False),
    sa.Column('joined_at', sa.DateTime(), nullable=False),
    sa.Column('left_at', sa.DateTime(), nullable=True),
    sa.Column('muted', sa.Boolean(), nullable=False),
    sa.Column('hand_raised_at', sa.DateTime(), nullable=True),
    sa.Column('removed_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['caller_id'], ['caller.id'], name=op.f('fk_room_participant_caller_id_caller')),
    sa.ForeignKeyConstraint(['session_id'], ['session.id'], name=op.f('fk_room_participant_session_id_session'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_room_participant')),
    sa.UniqueConstraint('session_id', 'call_sid', name='room_participant_call')
    )
    with op.batch_alter_table('room_participant', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_room_participant_caller_id'), ['caller_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_room_participant_session_id'), ['session_id'], unique=False)

    with op.batch_alter_table('session', schema=None) as batch_op:
        batch_op.add_column(sa.Column('may_be_recorded', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))



def downgrade() -> None:
    with op.batch_alter_table('session', schema=None) as batch_op:
        batch_op.drop_column('may_be_recorded')

    with op.batch_alter_table('room_participant', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_room_participant_session_id'))
        batch_op.drop_index(batch_op.f('ix_room_participant_caller_id'))

    op.drop_table('room_participant')
    op.drop_table('live_room')
