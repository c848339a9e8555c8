"""the router holds a question nobody could take until something that could help changes

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-03 16:40:00

Every sweep re-routed every unrouted question: with 2,000 that no expert matches, ~30 s of
CPU a pass. A question that found nobody now carries when to try it again anyway
(next_route_at) and a digest of the experts it was tried against (route_digest); the sweep
takes it up again when that digest is stale, the time has come, or the question changed.
Existing rows start empty: the next passes try them once, in bounded batches.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('topics') as batch_op:
        batch_op.add_column(sa.Column('next_route_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('route_digest', sa.String(length=20), nullable=True))


def downgrade():
    with op.batch_alter_table('topics') as batch_op:
        batch_op.drop_column('route_digest')
        batch_op.drop_column('next_route_at')
