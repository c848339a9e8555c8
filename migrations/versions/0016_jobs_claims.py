"""jobs: when each scheduled job last ran; a claim on each outbox mail

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02 19:45:00

job_leases.last_run_at lets every process share one schedule (a job runs once per
interval, not once per worker). outbox_mails.claim / claimed_until: a sender claims a mail
before sending it, so two senders never send the same mail; existing mails start unclaimed.
"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('job_leases') as batch:
        batch.add_column(sa.Column('last_run_at', sa.DateTime(), nullable=True))
    with op.batch_alter_table('outbox_mails') as batch:
        batch.add_column(sa.Column('claim', sa.String(length=32), nullable=True))
        batch.add_column(sa.Column('claimed_until', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('outbox_mails') as batch:
        batch.drop_column('claimed_until')
        batch.drop_column('claim')
    with op.batch_alter_table('job_leases') as batch:
        batch.drop_column('last_run_at')
