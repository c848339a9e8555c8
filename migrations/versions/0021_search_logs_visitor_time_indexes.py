"""search logs are indexed by visitor and time, for the flood check

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-04 21:30:00

Every search counts its visitor's searches of the last minute (portal/searching/bots.py).
With an index on user_id or anon_id alone that count read every search the visitor ever
made; (user_id, created_at) and (anon_id, created_at) read only the last minute's, and
serve every lookup the single-column indexes they replace served.
"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_search_logs_user_id_created_at", "search_logs", ["user_id", "created_at"])
    op.create_index("ix_search_logs_anon_id_created_at", "search_logs", ["anon_id", "created_at"])
    op.drop_index("ix_search_logs_user_id", table_name="search_logs")
    op.drop_index("ix_search_logs_anon_id", table_name="search_logs")


def downgrade():
    op.create_index("ix_search_logs_anon_id", "search_logs", ["anon_id"])
    op.create_index("ix_search_logs_user_id", "search_logs", ["user_id"])
    op.drop_index("ix_search_logs_anon_id_created_at", table_name="search_logs")
    op.drop_index("ix_search_logs_user_id_created_at", table_name="search_logs")
