"""articles: the successor of an archived article

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 15:00:00

An archived article's address answers 410 Gone with a link to its replacement (when the
editor named one) or to its category, instead of a bare 404.
"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('articles') as batch:
        batch.add_column(sa.Column('replaced_by_id', sa.Integer(), nullable=True))
        batch.create_foreign_key('fk_articles_replaced_by_id_articles', 'articles',
                                 ['replaced_by_id'], ['id'], ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('articles') as batch:
        batch.drop_constraint('fk_articles_replaced_by_id_articles', type_='foreignkey')
        batch.drop_column('replaced_by_id')
