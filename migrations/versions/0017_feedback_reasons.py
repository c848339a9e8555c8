"""feedback reasons; English category descriptions; first admin changes the password

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02 19:40:00

A "not helpful" vote can say why (outdated, did not answer, unclear, steps did not work,
other): the reasons are counted in the article's insights. Categories get an English
description beside the English name they already have. An account whose password someone
else chose (the first admin's one-time password) must change it before anything else.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('article_feedback') as batch_op:
        batch_op.add_column(sa.Column('reason', sa.String(length=20), nullable=True))
    with op.batch_alter_table('categories') as batch_op:
        batch_op.add_column(sa.Column('description_en', sa.String(length=500), nullable=False,
                                      server_default=''))
    with op.batch_alter_table('users') as batch_op:
        batch_op.add_column(sa.Column('must_change_password', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))


def downgrade():
    with op.batch_alter_table('users') as batch_op:
        batch_op.drop_column('must_change_password')
    with op.batch_alter_table('categories') as batch_op:
        batch_op.drop_column('description_en')
    with op.batch_alter_table('article_feedback') as batch_op:
        batch_op.drop_column('reason')
