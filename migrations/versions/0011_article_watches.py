"""watches: following a knowledge-base article

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 15:10:00

A customer follows an article and is notified (bell and mail) when it is updated.
"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('watches') as batch:
        batch.add_column(sa.Column('article_id', sa.Integer(), nullable=True))
        batch.create_foreign_key('fk_watches_article_id_articles', 'articles',
                                 ['article_id'], ['id'], ondelete='CASCADE')
        batch.create_index('ix_watches_article_id', ['article_id'])
        batch.create_unique_constraint('uq_watches_user_id_article_id', ['user_id', 'article_id'])


def downgrade():
    with op.batch_alter_table('watches') as batch:
        batch.drop_constraint('uq_watches_user_id_article_id', type_='unique')
        batch.drop_index('ix_watches_article_id')
        batch.drop_constraint('fk_watches_article_id_articles', type_='foreignkey')
        batch.drop_column('article_id')
