"""revoked report sessions, kept in the database (were in the server's memory)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 03:50:00
"""
from alembic import op
import sqlalchemy as sa
import ivr.db.models


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('revoked_sessions',
    sa.Column('session_id', sa.String(length=64), nullable=False),
    sa.Column('expires_at', ivr.db.models.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('session_id', name=op.f('pk_revoked_sessions'))
    )
    with op.batch_alter_table('revoked_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_revoked_sessions_expires_at'), ['expires_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('revoked_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_revoked_sessions_expires_at'))

    op.drop_table('revoked_sessions')
