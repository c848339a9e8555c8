"""who cites which title as 《title》, so publishing an article finds its citers by index

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-03 08:10:00

Publishing an article links the articles that already cite its title. They were found by a
LIKE over every article's HTML, once per published article, so an import of N articles
scanned N times N bodies. The cited titles now sit in a table of their own, filled here
from the stored HTML (the same 《…》 pattern as portal/kb/cross_refs.py).
"""
import html
import re

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None

_REFERENCE = re.compile(r"《([^《》<>\n]{1,200})》")


def upgrade():
    citations = op.create_table(
        'article_citations',
        sa.Column('article_id', sa.Integer(), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(['article_id'], ['articles.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('article_id', 'title'),
    )
    op.create_index(op.f('ix_article_citations_title'), 'article_citations', ['title'])
    articles = op.get_bind().execute(
        sa.text("SELECT id, body_html FROM articles WHERE body_html LIKE '%《%'")
    )
    rows = []
    for article_id, body_html in articles:
        titles = {html.unescape(t).strip() for t in _REFERENCE.findall(body_html or "")}
        rows += [{'article_id': article_id, 'title': t} for t in sorted(titles) if t]
    if rows:
        op.bulk_insert(citations, rows)


def downgrade():
    op.drop_index(op.f('ix_article_citations_title'), table_name='article_citations')
    op.drop_table('article_citations')
