"""articles: what the last file import left (its revision and the file's hash)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 14:40:00

Re-importing kb_articles/ (every `make run`) used to overwrite an article an editor had
changed on the web. The importer now leaves an article alone when a revision was made
after its last import. Existing articles learn their last import from the revision notes
the importer writes ("Imported from <file>"); articles never imported stay NULL, which
the importer treats as written on the web.
"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('articles') as batch:
        batch.add_column(sa.Column('imported_revision', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('source_hash', sa.String(length=64), nullable=True))
    op.execute(
        "UPDATE articles SET imported_revision = (SELECT max(r.number) FROM article_revisions r"
        " WHERE r.article_id = articles.id AND r.note LIKE 'Imported from %')")


def downgrade():
    with op.batch_alter_table('articles') as batch:
        batch.drop_column('source_hash')
        batch.drop_column('imported_revision')
