"""step 10 (b): stored HTML beside Markdown, session generations, login locks per IP

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 15:00:00

- posts.body_html, post_edits.old_body_html, articles.body_html/toc_html and
  download_files.release_notes_html: the Markdown rendered once at save, filled here for the
  rows that exist (portal/markup.py: texts too costly to render come out as plain text).
- users.session_generation: logging out bumps it, which ends every copied session and
  remember-me cookie of the account.
- login_locks: the login back-off per (account, client IP), replacing the per-account
  counter in users (failed_logins, locked_until), which let anyone lock an account.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

RENDERED = [  # table, markdown column, html column, toc column
    ('posts', 'body_md', 'body_html', None),
    ('post_edits', 'old_body_md', 'old_body_html', None),
    ('articles', 'body_md', 'body_html', 'toc_html'),
    ('download_files', 'release_notes_md', 'release_notes_html', None),
]


def _fill_html(table: str, source: str, target: str, toc: str | None) -> None:
    from portal.markup import render_markdown  # the one renderer, bounded cost per row

    connection = op.get_bind()
    columns = [sa.column('id'), sa.column(source), sa.column(target)]
    if toc:
        columns.append(sa.column(toc))
    rows = sa.table(table, *columns)
    for row_id, text in connection.execute(sa.select(rows.c.id, rows.c[source])).all():
        rendered = render_markdown(text or '')
        values = {target: rendered.html}
        if toc:
            values[toc] = rendered.toc_html
        connection.execute(sa.update(rows).where(rows.c.id == row_id).values(**values))


def upgrade():
    for table, source, target, toc in RENDERED:
        with op.batch_alter_table(table) as batch_op:
            batch_op.add_column(sa.Column(target, sa.Text(), nullable=True))
            if toc:
                batch_op.add_column(sa.Column(toc, sa.Text(), nullable=True))
        _fill_html(table, source, target, toc)
    with op.batch_alter_table('users') as batch_op:
        batch_op.add_column(sa.Column('session_generation', sa.Integer(), nullable=False,
                                      server_default='0'))
        batch_op.drop_column('failed_logins')
        batch_op.drop_column('locked_until')
    op.create_table(
        'login_locks',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('client', sa.String(length=64), nullable=False),
        sa.Column('failures', sa.Integer(), nullable=False, server_default='0'),
        sa.Column('locked_until', sa.DateTime(), nullable=True),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('user_id', 'client', name='uq_login_locks_user_client'),
    )


def downgrade():
    op.drop_table('login_locks')
    with op.batch_alter_table('users') as batch_op:
        batch_op.add_column(sa.Column('locked_until', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('failed_logins', sa.Integer(), nullable=False,
                                      server_default='0'))
        batch_op.drop_column('session_generation')
    for table, _source, target, toc in RENDERED:
        with op.batch_alter_table(table) as batch_op:
            if toc:
                batch_op.drop_column(toc)
            batch_op.drop_column(target)
