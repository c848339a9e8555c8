"""articles: translation groups (the original an article translates, and its revision)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 14:50:00

An article in zh-CN, zh-TW or en can be the translation of another (its group's original);
``source_revision`` is the original's revision the translation was last brought up to date
with, so a later revision of the original marks the translation outdated.
"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('articles') as batch:
        batch.add_column(sa.Column('translation_of_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('source_revision', sa.Integer(), nullable=True))
        batch.create_index('ix_articles_translation_of_id', ['translation_of_id'])
        batch.create_foreign_key('fk_articles_translation_of_id_articles', 'articles',
                                 ['translation_of_id'], ['id'], ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('articles') as batch:
        batch.drop_constraint('fk_articles_translation_of_id_articles', type_='foreignkey')
        batch.drop_index('ix_articles_translation_of_id')
        batch.drop_column('source_revision')
        batch.drop_column('translation_of_id')
