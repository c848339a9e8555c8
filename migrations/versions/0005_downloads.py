"""downloads library: products and downloadable files

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 14:43:19.280637

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

# Byte-wise ("C") collation on PostgreSQL so version keys sort the same as on SQLite.
VERSION_KEY = sa.String(length=255).with_variant(
    sa.String(length=255, collation='C'), 'postgresql'
)


def upgrade():
    op.create_table('products',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=80), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('name_en', sa.String(length=120), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_products')),
    sa.UniqueConstraint('slug', name=op.f('uq_products_slug'))
    )
    op.create_table('download_files',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('article_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('version', sa.String(length=50), nullable=False),
    sa.Column('version_key', VERSION_KEY, nullable=False),
    sa.Column('release_notes_md', sa.Text(), nullable=False),
    sa.Column('original_name', sa.String(length=255), nullable=False),
    sa.Column('stored_name', sa.String(length=64), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('visibility', sa.String(length=20), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('download_count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['article_id'], ['articles.id'], name=op.f('fk_download_files_article_id_articles'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_download_files_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_download_files_product_id_products')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_download_files')),
    sa.UniqueConstraint('stored_name', name=op.f('uq_download_files_stored_name'))
    )
    for column in ('article_id', 'created_at', 'product_id', 'version_key'):
        op.create_index(op.f(f'ix_download_files_{column}'), 'download_files', [column])


def downgrade():
    # Dropping the table drops its indexes too (on SQLite and PostgreSQL alike).
    op.drop_table('download_files')
    op.drop_table('products')
