"""Helpers for the backup tests: the `flask backup` CLI, a download file stored as the app
stores it, an archive's manifest, search and an edit after the backup."""

import io
import json
import tarfile
from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy import select

from portal.editor.services import ArticleData, save_article
from portal.extensions import db
from portal.models import Article, DownloadFile, Product

PDF = b"%PDF-1.7\n" + b"backup test " * 200


def head_revision(app) -> str:
    config = app.extensions["migrate"].migrate.get_config()
    return ScriptDirectory.from_config(config).get_current_head()


def flask(app, *args):
    """Run `flask ARGS...` against ``app`` as an operator would."""
    return app.test_cli_runner().invoke(args=[str(arg) for arg in args])


def add_download(app, client, editor, content=PDF, name="手册.pdf") -> DownloadFile:
    """Upload a file through the editor's form, as the app stores it."""
    product = db.session.scalar(select(Product)) or Product(slug="notes", name="青禾笔记")
    db.session.add(product)
    db.session.commit()
    client.login(editor)
    response = client.post(
        "/downloads/manage/upload",
        {
            "product_id": str(product.id),
            "title": "用户手册",
            "version": "1.0",
            "visibility": "public",
            "article_id": "",
            "release_notes_md": "",
            "file": (io.BytesIO(content), name),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return db.session.scalars(select(DownloadFile).order_by(DownloadFile.id.desc())).first()


def upload_path(app, item: DownloadFile) -> Path:
    return Path(app.config["UPLOAD_DIR"]) / item.stored_name


def read_manifest(archive: Path) -> dict:
    with tarfile.open(archive, "r:gz") as tar:
        return json.load(tar.extractfile("manifest.json"))


def search_slugs(client, query: str) -> list[str]:
    return [hit["slug"] for hit in client.get(f"/api/v1/search?q={query}").json["results"]]


def edit_title(article: Article, title: str) -> None:
    data = ArticleData(
        title=title,
        slug=article.slug,
        body_md="改过的正文",
        category_id=article.category_id,
        language=article.language,
        status="published",
        summary="",
        tags=[],
    )
    save_article(article, data, None, "edited")
