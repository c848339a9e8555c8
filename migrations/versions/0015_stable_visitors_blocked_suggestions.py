"""abuse: stable visitor keys for votes, views and suggestions; topic view marks; blocked
suggestions

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 14:40:00

A cookie-less client got a new anonymous id on every request, so it could vote, count views
and push a query into the suggestions as often as it liked. Each of these now records a
visitor key (the account, or a keyed hash of the anonymous visitor's network): one helpful
vote per key and article (unique), one counted view per key per period, suggestions counted
by distinct keys. Existing votes get the key of their account or session.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('search_logs') as batch_op:
        batch_op.add_column(sa.Column('visitor_key', sa.String(length=64), nullable=True))
    with op.batch_alter_table('article_views') as batch_op:
        batch_op.add_column(sa.Column('visitor_key', sa.String(length=64), nullable=True))
    with op.batch_alter_table('article_feedback') as batch_op:
        batch_op.add_column(sa.Column('voter_key', sa.String(length=64), nullable=True))
    op.execute("UPDATE article_feedback SET voter_key = 'user:' || CAST(user_id AS VARCHAR(20)) "
               "WHERE user_id IS NOT NULL")
    op.execute("UPDATE article_feedback SET voter_key = 'anon:' || anon_id "
               "WHERE user_id IS NULL AND anon_id IS NOT NULL")
    with op.batch_alter_table('article_feedback') as batch_op:
        batch_op.create_unique_constraint(
            op.f('uq_article_feedback_article_id_voter_key'), ['article_id', 'voter_key'])
    op.create_table('topic_view_marks',
    sa.Column('topic_id', sa.Integer(), nullable=False),
    sa.Column('visitor_key', sa.String(length=64), nullable=False),
    sa.Column('counted_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['topic_id'], ['topics.id'], name=op.f('fk_topic_view_marks_topic_id_topics'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('topic_id', 'visitor_key', name=op.f('pk_topic_view_marks'))
    )
    op.create_table('blocked_suggestions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('query', sa.String(length=500), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_blocked_suggestions_created_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_blocked_suggestions')),
    sa.UniqueConstraint('query', name=op.f('uq_blocked_suggestions_query'))
    )


def downgrade():
    op.drop_table('blocked_suggestions')
    op.drop_table('topic_view_marks')
    with op.batch_alter_table('article_feedback') as batch_op:
        batch_op.drop_constraint(op.f('uq_article_feedback_article_id_voter_key'), type_='unique')
        batch_op.drop_column('voter_key')
    with op.batch_alter_table('article_views') as batch_op:
        batch_op.drop_column('visitor_key')
    with op.batch_alter_table('search_logs') as batch_op:
        batch_op.drop_column('visitor_key')
