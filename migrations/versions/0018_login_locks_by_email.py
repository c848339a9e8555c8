"""login back-off counted per (e-mail key, client), known e-mail or not

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02 20:20:00

The back-off was counted per (account, client), so only e-mails with an account could be
locked, and the login page could not say how long a lock lasts without telling which
e-mails have accounts. It is now counted per (keyed hash of the e-mail, client); the account
is linked when there is one. The table holds minutes of transient back-off state: it is
recreated empty rather than converted (a lock in force at the upgrade ends early).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    op.drop_table('login_locks')
    op.create_table(
        'login_locks',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('email_key', sa.String(length=64), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('client', sa.String(length=64), nullable=False),
        sa.Column('failures', sa.Integer(), nullable=False, server_default='0'),
        sa.Column('locked_until', sa.DateTime(), nullable=True),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('email_key', 'client', name='uq_login_locks_email_key_client'),
    )
    op.create_index(op.f('ix_login_locks_user_id'), 'login_locks', ['user_id'])


def downgrade():
    op.drop_index(op.f('ix_login_locks_user_id'), table_name='login_locks')
    op.drop_table('login_locks')
    op.create_table(
        'login_locks',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('client', sa.String(length=64), nullable=False),
        sa.Column('failures', sa.Integer(), nullable=False, server_default='0'),
        sa.Column('locked_until', sa.DateTime(), nullable=True),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('user_id', 'client', name='uq_login_locks_user_client'),
    )
