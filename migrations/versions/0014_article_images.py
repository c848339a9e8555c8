"""article_images: images editors upload for articles

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 15:45:00

Stored in the upload directory under random names (like the Downloads library's files, and
backed up with them), served from our own origin at /images/<name>.
"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'article_images',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('stored_name', sa.String(length=64), nullable=False),
        sa.Column('original_name', sa.String(length=255), nullable=False),
        sa.Column('content_type', sa.String(length=50), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'],
                                name=op.f('fk_article_images_uploaded_by_id_users'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_article_images')),
        sa.UniqueConstraint('stored_name', name=op.f('uq_article_images_stored_name')),
    )
    op.create_index(op.f('ix_article_images_sha256'), 'article_images', ['sha256'])


def downgrade():
    op.drop_index(op.f('ix_article_images_sha256'), table_name='article_images')
    op.drop_table('article_images')
