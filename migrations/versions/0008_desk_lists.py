"""the admin as staff's desk: the audit log; what a call-back request is about, and staff's
note when it is done

Revision ID: 0008_desk_lists
Revises: 0007_texts_per_language
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

revision: str = '0008_desk_lists'
down_revision: Union[str, Sequence[str], None] = '0010_users_reset'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        'audit_entry',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('channel', sa.String(length=10), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('actor', sa.String(length=200), nullable=False),
        sa.Column('action', sa.String(length=40), nullable=False),
        sa.Column('object_type', sa.String(length=20), nullable=False),
        sa.Column('object_id', sa.Integer(), nullable=False),
        sa.Column('event_id', sa.Integer(), nullable=True),
        sa.Column('session_id', sa.Integer(), nullable=True),
        sa.Column('before', sa.JSON(), nullable=False),
        sa.Column('after', sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['admin_user.id'], ondelete='SET NULL',
                                name=op.f('fk_audit_entry_user_id_admin_user')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_entry')),
    )
    for col in ('at', 'user_id', 'action', 'event_id', 'session_id'):
        op.create_index(op.f(f'ix_audit_entry_{col}'), 'audit_entry', [col], unique=False)
    with op.batch_alter_table('callback_request', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lang', sa.String(length=2), nullable=True))
        batch_op.add_column(sa.Column('topic', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('session_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('note', sa.Text(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_callback_request_session_id_session'), 'session', ['session_id'],
                                    ['id'], ondelete='SET NULL')


def downgrade() -> None:
    with op.batch_alter_table('callback_request', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_callback_request_session_id_session'),
                                 type_='foreignkey')
        for name in ('note', 'session_id', 'topic', 'lang'):
            batch_op.drop_column(name)
    for col in ('session_id', 'event_id', 'action', 'user_id', 'at'):
        op.drop_index(op.f(f'ix_audit_entry_{col}'), table_name='audit_entry')
    op.drop_table('audit_entry')
