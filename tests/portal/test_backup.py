"""Backups through the real CLI: round trips (on PostgreSQL's own server: test_backup_postgres.py),
an online copy taken while rows are written, damaged archives refused with nothing changed,
the manifest."""

import hashlib
import io
import re
import sqlite3
import tarfile
import threading
from pathlib import Path

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import func, select, text

from portal import create_app
from portal.downloads.services import delete_file
from portal.extensions import db
from portal.forum.services import create_topic
from portal.indexing.backend import close_backend
from portal.models import Article, Category, DownloadFile, Topic, User
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
from tests.response_support import fetch

DUMPS = {"sqlite": "portal.sqlite3", "postgresql": "portal.pgdump"}


@pytest.fixture
def site(app, client, make):
    """A small site: people, an article, a topic, a download file on disk."""
    editor = make.user("editor", email="editor@example.com")
    customer = make.user(email="customer@example.com", name="老客户")
    article = make.article(
        "数据备份恢复指南",
        slug="backup-guide",
        body="备份归档校验和恢复步骤",
        category=make.category("help", "帮助"),
    )
    topic = create_topic(customer, title="发票抬头怎么修改", body_md="请问发票抬头在哪里改？")
    download = add_download(app, client, editor)
    return {
        "editor": editor,
        "customer": customer,
        "article": article,
        "topic": topic,
        "download": download,
    }


def test_round_trip_brings_back_data_uploads_and_search(app, client, site, tmp_path):
    """After a restore the data and files are as backed up, a later post is gone, and the
    rebuilt index finds the restored article and no longer the later post."""
    archive = tmp_path / "site.tar.gz"
    result = flask(app, "backup", "create", "--out", archive)
    assert result.exit_code == 0, result.output
    assert "1 upload files" in result.output

    article, download = site["article"], site["download"]
    stored = upload_path(app, download)
    edit_title(article, "改名后的文章")
    site["customer"].display_name = "改名"
    db.session.commit()
    delete_file(download, app.config["UPLOAD_DIR"])
    assert not stored.exists()
    later = create_topic(site["editor"], title="备份之后的新帖子", body_md="完全不同的内容：鸵鸟")
    assert [
        hit["id"] for hit in client.get("/api/v1/search?q=鸵鸟&type=forum").json["results"]
    ] == [later.id]
    assert "backup-guide" not in search_slugs(client, "备份归档")

    result = flask(app, "backup", "restore", archive, "--yes")
    assert result.exit_code == 0, result.output
    assert f"Migrated the database to {head_revision(app)}" in result.output
    assert "Rebuilt the search index" in result.output

    db.session.remove()
    restored = db.session.scalar(select(Article).where(Article.slug == "backup-guide"))
    assert (restored.title, restored.body_md) == ("数据备份恢复指南", "备份归档校验和恢复步骤")
    assert (
        db.session.scalar(select(User.display_name).where(User.email == "customer@example.com"))
        == "老客户"
    )
    assert db.session.scalars(select(Topic.title)).all() == ["发票抬头怎么修改"]
    row = db.session.scalars(select(DownloadFile)).one()
    assert row.stored_name == stored.name and stored.read_bytes() == PDF
    assert search_slugs(client, "备份归档") == ["backup-guide"]
    assert client.get("/api/v1/search?q=鸵鸟&type=forum").json["total"] == 0
    served = fetch(client, f"/downloads/{row.id}/{row.original_name}")
    assert served.status_code == 200 and served.data == PDF


@pytest.mark.slow
def test_backup_taken_while_rows_are_written_is_consistent(app, make, tmp_path):
    """Another thread keeps committing rows during the backup: none of its writes fail, and
    the copy is a sound database whose counts match the manifest."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("checks the SQLite online copy; pg_dump keeps its own snapshot")
    for number in range(300):  # some pages to copy
        make.article(f"填充文章 {number}", body="正文" * 200, slug=f"filler-{number}")
    stop, started, errors, inserted = threading.Event(), threading.Event(), [], []

    def writer():
        with app.app_context():
            while not stop.is_set():
                try:
                    db.session.add(Category(slug=f"live-{len(inserted)}", name="实时写入"))
                    db.session.commit()
                    inserted.append(1)
                except Exception as error:
                    db.session.rollback()
                    errors.append(repr(error))
                if len(inserted) >= 20:
                    started.set()
            db.session.remove()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        assert started.wait(30)
        before = len(inserted)
        archive = tmp_path / "online.tar.gz"
        result = flask(app, "backup", "create", "--out", archive)
        during = len(inserted)
        while len(inserted) < during + 20 and thread.is_alive():
            stop.wait(0.01)
    finally:
        stop.set()
        thread.join(30)
    assert result.exit_code == 0, result.output
    assert errors == []
    with tarfile.open(archive, "r:gz") as tar:
        tar.extract("database/portal.sqlite3", tmp_path, filter="data")
    manifest = read_manifest(archive)
    with sqlite3.connect(tmp_path / "database" / "portal.sqlite3") as copy:
        assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        live = copy.execute("SELECT count(*) FROM categories WHERE slug LIKE 'live-%'")
        copied = live.fetchone()[0]
        total = copy.execute("SELECT count(*) FROM categories").fetchone()[0]
    assert before <= copied <= len(inserted)
    assert manifest["counts"]["categories"] == total
    assert manifest["counts"]["articles"] == 300


def truncated(data: bytes) -> bytes:
    return data[: len(data) // 2]


def flipped(data: bytes) -> bytes:
    middle = len(data) // 2
    return data[:middle] + bytes([data[middle] ^ 0xFF]) + data[middle + 1 :]


def tampered(data: bytes) -> bytes:
    """A well-formed archive whose upload file was altered (the manifest kept)."""
    out = io.BytesIO()
    with (
        tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as source,
        tarfile.open(fileobj=out, mode="w:gz") as target,
    ):
        for member in source:
            content = source.extractfile(member).read()
            if member.name.startswith("uploads/"):
                content = content.replace(b"backup", b"BACKUP")
            member.size = len(content)
            target.addfile(member, io.BytesIO(content))
    return out.getvalue()


@pytest.mark.parametrize(
    "damage, message",
    [
        (truncated, "corrupt or truncated"),
        (flipped, "damaged"),
        (tampered, "does not match its checksum"),
    ],
)
def test_damaged_archive_is_refused_with_nothing_changed(
    app, client, site, tmp_path, damage, message
):
    archive = tmp_path / "good.tar.gz"
    assert flask(app, "backup", "create", "--out", archive).exit_code == 0
    bad = tmp_path / "bad.tar.gz"
    bad.write_bytes(damage(archive.read_bytes()))
    edit_title(site["article"], "备份之后改的标题")
    files_before = sorted(p.name for p in Path(app.config["UPLOAD_DIR"]).iterdir())

    result = flask(app, "backup", "restore", bad, "--yes")
    assert result.exit_code == 1
    assert "damaged" in result.output and message in result.output
    assert "Nothing was changed" in result.output
    db.session.remove()
    assert (
        db.session.scalar(select(Article.title).where(Article.slug == "backup-guide"))
        == "备份之后改的标题"
    )
    assert sorted(p.name for p in Path(app.config["UPLOAD_DIR"]).iterdir()) == files_before
    assert list(Path(app.config["DATA_DIR"]).glob(".restore-*")) == []  # staging cleaned up


def test_restore_over_data_needs_yes_but_a_new_install_does_not(
    app, client, site, tmp_path, migrated_database
):
    archive = tmp_path / "site.tar.gz"
    assert flask(app, "backup", "create", "--out", archive).exit_code == 0
    edit_title(site["article"], "不该被覆盖")

    result = flask(app, "backup", "restore", archive)
    assert result.exit_code == 1 and "--yes" in result.output
    assert (
        db.session.scalar(select(Article.title).where(Article.slug == "backup-guide"))
        == "不该被覆盖"
    )

    # A fresh install (migrated, empty) on another data directory takes it without --yes.
    other_dir = tmp_path / "new-server"
    other_dir.mkdir()
    other_url = migrated_database.new(other_dir)
    # Read what the check needs now: inside the other app a lazy load would run this
    # session's query on the other app's engine (Flask-SQLAlchemy binds by current app).
    stored_name = site["download"].stored_name
    db.session.close()
    other = create_app(
        {
            "DATA_DIR": str(other_dir),
            "SECRET_KEY": "x",
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": other_url,
            "SEARCH_INDEX_DIR": str(other_dir / "index"),
        }
    )
    with other.app_context():
        try:
            result = flask(other, "backup", "restore", archive)
            assert result.exit_code == 0, result.output
            assert db.session.scalar(select(func.count()).select_from(User)) == 2
            assert (other_dir / "uploads" / stored_name).read_bytes() == PDF
            hits = other.test_client().get("/api/v1/search?q=备份归档").json["results"]
            assert [hit["slug"] for hit in hits] == ["backup-guide"]
        finally:
            db.session.remove()
            close_backend(other)
            db.engine.dispose()
    migrated_database.drop(other_url)


def test_manifest_describes_the_backup_and_warns_of_missing_files(app, client, site):
    missing = add_download(app, client, site["editor"], content=PDF + b"2", name="旧版.pdf")
    upload_path(app, missing).unlink()

    result = flask(app, "backup", "create")
    assert result.exit_code == 0, result.output
    assert f"stored file {missing.stored_name} is missing" in result.output
    archive = next(Path(app.config["DATA_DIR"], "backups").glob("*.tar.gz"))
    assert re.fullmatch(r"portal-\d{8}-\d{6}\.tar\.gz", archive.name)
    manifest = read_manifest(archive)
    dialect = db.engine.dialect.name
    assert manifest["dialect"] == dialect and manifest["alembic_revision"] == head_revision(app)
    assert manifest["app_version"] and manifest["created_at"][:4].isdigit()
    assert manifest["counts"] == {
        "users": 2,
        "categories": 1,
        "articles": 1,
        "topics": 1,
        "posts": 1,
        "products": 1,
        "download_files": 2,
    }
    kept = site["download"]
    assert manifest["uploads"] == [
        {
            "name": kept.stored_name,
            "size": len(PDF),
            "sha256": hashlib.sha256(PDF).hexdigest(),
            "original_name": kept.original_name,
        }
    ]
    assert len(manifest["warnings"]) == 1
    with tarfile.open(archive, "r:gz") as tar:
        names = tar.getnames()
        dump = tar.extractfile(f"database/{DUMPS[dialect]}").read()
    assert sorted(names) == [
        f"database/{DUMPS[dialect]}",
        "manifest.json",
        f"uploads/{kept.stored_name}",
    ]
    assert hashlib.sha256(dump).hexdigest() == manifest["database"]["sha256"]
    assert "index" not in " ".join(names)  # the search index is rebuilt, never backed up


def test_an_older_backup_is_migrated_to_head(app, site, tmp_path):
    db.session.remove()
    downgrade(revision="0005")
    archive = tmp_path / "old.tar.gz"
    assert flask(app, "backup", "create", "--out", archive).exit_code == 0
    assert read_manifest(archive)["alembic_revision"] == "0005"
    upgrade()

    result = flask(app, "backup", "restore", archive, "--yes")
    assert result.exit_code == 0, result.output
    db.session.remove()
    assert db.session.execute(
        text("SELECT version_num FROM alembic_version")
    ).scalar() == head_revision(app)
    assert (
        db.session.scalar(
            select(User).where(User.email == "customer@example.com")
        ).session_generation
        == 0
    )  # a column 0008 added
