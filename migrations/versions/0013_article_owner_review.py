"""articles: an owner and a review-by date

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 15:30:00

Each article has an owner (at first its author) and a date by which it should be reviewed;
an unset date means REVIEW_INTERVAL_DAYS after publishing (portal/editor/review.py), so
existing rows need no date arithmetic here.
"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('articles') as batch:
        batch.add_column(sa.Column('owner_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('review_by', sa.Date(), nullable=True))
        batch.create_foreign_key('fk_articles_owner_id_users', 'users', ['owner_id'], ['id'],
                                 ondelete='SET NULL')
    op.execute("UPDATE articles SET owner_id = author_id")


def downgrade():
    with op.batch_alter_table('articles') as batch:
        batch.drop_constraint('fk_articles_owner_id_users', type_='foreignkey')
        batch.drop_column('review_by')
        batch.drop_column('owner_id')
