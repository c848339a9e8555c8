"""A backup round trip on PostgreSQL, on a throwaway database of its own."""

import secrets

import pytest
from flask_migrate import upgrade
from sqlalchemy import select

from portal import create_app
from portal.downloads.services import delete_file
from portal.extensions import db
from portal.indexing.backend import close_backend
from portal.models import Article, DownloadFile
from tests.backup_support import (
    PDF,
    add_download,
    edit_title,
    flask,
    head_revision,
    read_manifest,
    search_slugs,
    upload_path,
)
from tests.factories import Factories

PG_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"


def _pg_admin():
    psycopg = pytest.importorskip("psycopg")
    try:
        return psycopg.connect(PG_SERVER, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as error:
        pytest.skip(f"no PostgreSQL server on 127.0.0.1:5432 ({error})")


@pytest.fixture
def pg_app(tmp_path):
    """An app on a throwaway PostgreSQL database, migrated to head; dropped afterwards."""
    admin = _pg_admin()
    name = f"portal_backup_test_{secrets.token_hex(4)}"
    admin.execute(f'CREATE DATABASE "{name}"')
    app = create_app(
        {
            "DATA_DIR": str(tmp_path),
            "SECRET_KEY": "x",
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}",
            "SEARCH_INDEX_DIR": str(tmp_path / "index"),
        }
    )
    try:
        with app.app_context():
            upgrade()
            yield app
            db.session.remove()
            close_backend(app)
            db.engine.dispose()
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.mark.postgres
def test_postgresql_round_trip(pg_app, tmp_path):
    from tests.conftest import Client

    make, client = Factories(), Client(pg_app)
    editor = make.user("editor", email="editor@example.com")
    make.article("数据备份恢复指南", slug="backup-guide", body="备份归档校验和恢复步骤")
    download = add_download(pg_app, client, editor)
    archive = tmp_path / "pg.tar.gz"
    result = flask(pg_app, "backup", "create", "--out", archive)
    assert result.exit_code == 0, result.output
    manifest = read_manifest(archive)
    assert manifest["dialect"] == "postgresql"
    assert manifest["alembic_revision"] == head_revision(pg_app)
    assert manifest["counts"]["articles"] == 1 and len(manifest["uploads"]) == 1

    edit_title(db.session.scalar(select(Article)), "改名后的文章")
    delete_file(download, pg_app.config["UPLOAD_DIR"])
    make.article("备份之后的文章", slug="after-backup", body="鸵鸟")
    assert flask(pg_app, "backup", "restore", archive).exit_code == 1  # has data, no --yes

    result = flask(pg_app, "backup", "restore", archive, "--yes")
    assert result.exit_code == 0, result.output
    db.session.remove()
    assert db.session.scalars(select(Article.title)).all() == ["数据备份恢复指南"]
    row = db.session.scalars(select(DownloadFile)).one()
    assert upload_path(pg_app, row).read_bytes() == PDF
    assert search_slugs(client, "备份归档") == ["backup-guide"]
    assert search_slugs(client, "鸵鸟") == []
    # Sequences came back too: a new row does not collide with a restored id.
    restored_id = db.session.scalar(select(Article.id))
    assert make.article("恢复后新建", slug="after-restore").id > restored_id
