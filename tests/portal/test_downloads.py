"""Downloads library: uploads, validation, the library page, safe delivery, permissions."""

import hashlib
import io
import re
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlalchemy import select

from portal.downloads.storage import UploadError, sanitize_filename, save_stream
from portal.extensions import db
from portal.models import DownloadFile, Product
from portal.models.downloads import version_sort_key
from tests.response_support import close_request_body, fetch, open_files_in

PDF = b"%PDF-1.7\n" + b"x" * 1527  # 1536 bytes: shown as 1.5 KB
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 100


@pytest.fixture
def product(app):
    item = Product(slug="qinghe-notes", name="青禾笔记", name_en="Qinghe Notes")
    db.session.add(item)
    db.session.commit()
    return item


@pytest.fixture
def editor(client, make):
    user = make.user("editor")
    client.login(user)
    client.post("/lang/en")  # messages below are checked in English
    return user


def upload(client, product, content=PDF, name="manual.pdf", version="4.2", **fields):
    data = {
        "product_id": str(product.id),
        "title": fields.pop("title", f"Manual {version}"),
        "version": version,
        "visibility": "public",
        "article_id": "",
        "release_notes_md": "",
        "file": (io.BytesIO(content), name),
    }
    data.update(fields)
    response = client.post("/downloads/manage/upload", data, content_type="multipart/form-data")
    close_request_body(response)
    return response


def stored_files(app) -> list[Path]:
    directory = Path(app.config["UPLOAD_DIR"])
    return sorted(directory.iterdir()) if directory.exists() else []


def only_file() -> DownloadFile:
    return db.session.scalars(select(DownloadFile)).one()


def test_upload_lists_newest_version_first_with_size_and_sha256(app, client, editor, product):
    for version in ("4.9", "4.10", "4.10-beta", "4.10.1"):
        assert upload(client, product, version=version).status_code == 302
    page = client.get("/downloads/").get_data(as_text=True)
    shown = re.findall(r"<h3>Version ([^<\s]+)", page)
    assert shown == ["4.10.1", "4.10", "4.10-beta", "4.9"]
    assert hashlib.sha256(PDF).hexdigest() in page and "1.5 KB" in page
    item = db.session.scalars(select(DownloadFile).where(DownloadFile.version == "4.9")).one()
    assert (item.size, item.content_type, item.created_by_id) == (
        1536,
        "application/pdf",
        editor.id,
    )
    assert len(stored_files(app)) == 4  # old versions are kept
    manage = client.get("/downloads/manage/")
    assert manage.status_code == 200 and manage.get_data(as_text=True).count("Manual 4.") == 4
    assert client.get("/downloads/manage/upload").status_code == 200


@pytest.mark.parametrize(
    "newer, older",
    [
        ("4.10", "4.9"),
        ("4.10.1", "4.10"),
        ("4.10", "4.10-beta"),
        ("4.10-rc1", "4.10-beta"),
        ("4.10-beta.10", "4.10-beta.2"),
        ("10.0", "9.99.99"),
        ("v2", "1.9"),
    ],
)
def test_version_sort_key_compares_numerically(newer, older):
    """Versions sort as numbers, not as text, and pre-releases come before the release."""
    assert version_sort_key(newer) > version_sort_key(older)


def test_download_sends_safe_headers_and_counts(app, client, editor, product):
    upload(client, product, name="青禾笔记 用户手册.pdf")
    item = only_file()
    url = f"/downloads/{item.id}/{quote(item.original_name)}"
    client.logout()
    response = fetch(client, url)
    assert response.status_code == 200 and response.data == PDF
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert response.headers["Content-Type"] == "application/pdf"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''" + quote("青禾笔记 用户手册.pdf", safe="") in disposition
    fetch(client, url)
    resumed = fetch(client, url, headers={"Range": "bytes=100-"})  # not counted
    assert resumed.data == PDF[100:]
    assert fetch(client, url, headers={"If-None-Match": f'"{item.sha256}"'}).status_code == 304
    db.session.refresh(item)
    assert item.download_count == 2


def test_closing_a_download_response_closes_its_file(app, client, editor, product):
    """The view hands the open file to the response: a whole file, a resumed range and a
    304 each hold it while being sent and let go of it when the server closes them."""
    upload(client, product)
    item = only_file()
    url = f"/downloads/{item.id}/manual.pdf"
    upload_dir = Path(app.config["UPLOAD_DIR"])
    requests = [
        ({}, 200),
        ({"Range": "bytes=100-"}, 206),
        ({"If-None-Match": f'"{item.sha256}"'}, 304),
    ]
    for headers, status in requests:
        with client.get(url, headers=headers) as response:
            assert response.status_code == status
            held = open_files_in(upload_dir)
        assert held == [str(upload_dir.resolve() / item.stored_name)]
        assert open_files_in(upload_dir) == [], headers


def test_content_type_comes_from_the_allow_list_not_the_client(client, editor, product):
    data = {"file": (io.BytesIO(PNG), "shot.png", "text/html")}
    assert upload(client, product, **data).status_code == 302
    item = only_file()
    response = fetch(client, f"/downloads/{item.id}/shot.png")
    assert response.headers["Content-Type"] == "image/png"


def test_customers_only_file_needs_login(client, make, editor, product):
    upload(client, product, visibility="customers")
    item = only_file()
    url = f"/downloads/{item.id}/manual.pdf"
    client.logout()
    response = client.get(url)
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert client.get(url, headers={"Accept": "application/json"}).status_code == 403
    client.login(make.user("customer"))
    response = fetch(client, url)
    assert response.status_code == 200 and response.data == PDF
    assert "private" in response.headers["Cache-Control"]
    db.session.refresh(item)
    assert item.download_count == 1


def test_customer_cannot_upload_edit_or_delete_any_file(app, client, make, editor, product):
    upload(client, product)
    item = only_file()
    client.logout()
    client.login(make.user("customer"))
    assert upload(client, product, version="9.9").status_code == 403
    for file_id in (item.id, item.id + 1, 0):
        assert client.get(f"/downloads/manage/{file_id}/edit").status_code == 403
        edit = {
            "product_id": str(product.id),
            "title": "hacked",
            "version": "1",
            "visibility": "public",
            "article_id": "",
            "release_notes_md": "",
        }
        assert client.post(f"/downloads/manage/{file_id}/edit", edit).status_code == 403
        assert client.post(f"/downloads/manage/{file_id}/delete").status_code == 403
    assert client.post("/downloads/manage/products", {"name": "x", "slug": "x"}).status_code == 403
    db.session.refresh(item)
    assert (item.title, item.version) == ("Manual 4.2", "4.2")
    assert db.session.scalar(select(DownloadFile.id)) == item.id and len(stored_files(app)) == 1


def test_anonymous_upload_goes_to_login(client, product):
    response = upload(client, product)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize(
    "client_name, saved_as",
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("evil\x00name.pdf", "evilname.pdf"),
        (".hidden.pdf", "hidden.pdf"),
        ("CON.pdf", "_CON.pdf"),
        ("青禾笔记 4.10 用户手册（正式版）.pdf", "青禾笔记 4.10 用户手册（正式版）.pdf"),
        ("说" * 200 + ".pdf", "说" * 116 + ".pdf"),
    ],
)
def test_file_names_are_sanitised_and_never_used_on_disk(
    app, client, editor, product, client_name, saved_as
):
    assert upload(client, product, name=client_name).status_code == 302
    item = only_file()
    assert item.original_name == saved_as
    [stored] = stored_files(app)
    assert stored.name == item.stored_name and len(stored.name) == 32
    assert fetch(client, f"/downloads/{item.id}/{quote(saved_as)}").data == PDF


def test_a_name_without_an_allowed_type_is_refused(app, client, editor, product):
    response = upload(client, product, name="../../etc/passwd")
    assert response.status_code == 415
    assert "not allowed" in response.get_data(as_text=True)
    assert db.session.scalar(select(DownloadFile)) is None and stored_files(app) == []


@pytest.mark.parametrize("name", ["page.html", "script.js", "archive.tar", "manual.pdf.html"])
def test_disallowed_types_are_refused_with_the_form_again(app, client, editor, product, name):
    response = upload(client, product, name=name)
    page = response.get_data(as_text=True)
    assert response.status_code == 415
    assert "Files of this type are not allowed" in page and 'type="file"' in page
    assert db.session.scalar(select(DownloadFile)) is None and stored_files(app) == []


@pytest.mark.parametrize(
    "name, content",
    [
        ("manual.pdf", b"MZ\x90\x00 an exe renamed"),
        ("logo.png", b"GIF89a"),
        ("photo.jpg", PNG),
        ("bundle.zip", b"%PDF-1.4"),
    ],
)
def test_content_must_match_the_type(app, client, editor, product, name, content):
    response = upload(client, product, name=name, content=content)
    assert response.status_code == 400
    assert "does not look like" in response.get_data(as_text=True)
    assert db.session.scalar(select(DownloadFile)) is None and stored_files(app) == []


def test_a_file_over_the_limit_is_refused_with_a_friendly_message(app, client, editor, product):
    app.config["MAX_UPLOAD_MB"] = 1 / 1024  # 1 KB
    response = upload(client, product, content=PDF)  # 1.5 KB: over the limit, body read
    assert response.status_code == 413
    assert "the limit is 1.0 KB" in response.get_data(as_text=True)
    response = upload(client, product, content=b"%PDF-" + b"x" * 600_000)  # body refused unread
    page = response.get_data(as_text=True)
    assert response.status_code == 413
    assert "the limit is 1.0 KB" in page and 'type="file"' in page
    assert db.session.scalar(select(DownloadFile)) is None and stored_files(app) == []


def test_missing_csrf_token_is_refused(app, client, editor, product):
    data = {
        "product_id": str(product.id),
        "title": "t",
        "version": "1",
        "visibility": "public",
        "file": (io.BytesIO(PDF), "manual.pdf"),
    }
    response = client.post(
        "/downloads/manage/upload", data, csrf=False, content_type="multipart/form-data"
    )
    assert response.status_code == 400
    assert db.session.scalar(select(DownloadFile)) is None and stored_files(app) == []


def test_delete_removes_the_stored_file(app, client, editor, product):
    upload(client, product)
    item = only_file()
    [stored] = stored_files(app)
    assert client.post(f"/downloads/manage/{item.id}/delete").status_code == 303
    assert not stored.exists() and db.session.scalar(select(DownloadFile)) is None
    assert client.get(f"/downloads/{item.id}/manual.pdf").status_code == 404


def test_edit_metadata_and_release_notes_are_sanitised(client, editor, product):
    upload(client, product, version="4.9")
    item = only_file()
    edit = {
        "product_id": str(product.id),
        "title": "User manual",
        "version": "4.10",
        "visibility": "customers",
        "article_id": "",
        "release_notes_md": "**Faster sync**<script>alert(1)</script>",
    }
    assert client.post(f"/downloads/manage/{item.id}/edit", edit).status_code == 302
    db.session.refresh(item)
    assert (item.version, item.visibility) == ("4.10", "customers")
    assert item.version_key == version_sort_key("4.10")
    page = client.get("/downloads/").get_data(as_text=True)
    assert "<strong>Faster sync</strong>" in page and "<script>alert" not in page
    bad = dict(edit, visibility="everyone", version="")
    assert client.post(f"/downloads/manage/{item.id}/edit", bad).status_code == 400


def test_article_page_shows_its_attachments(client, make, editor, product):
    article = make.article(title="下载用户手册", slug="manual")
    upload(client, product, article_id=str(article.id), name="手册.pdf")
    client.logout()
    page = client.get("/a/manual").get_data(as_text=True)
    assert "手册.pdf" in page and hashlib.sha256(PDF).hexdigest() in page


def test_product_is_created_by_editors(client, editor):
    response = client.post(
        "/downloads/manage/products",
        {"name": "青禾笔记", "name_en": "Qinghe Notes", "slug": "notes"},
    )
    assert response.status_code == 302
    assert db.session.scalar(select(Product.name).where(Product.slug == "notes")) == "青禾笔记"
    again = client.post("/downloads/manage/products", {"name": "x", "slug": "notes"})
    assert again.status_code == 400 and "already used" in again.get_data(as_text=True)


def test_an_interrupted_upload_leaves_no_file(tmp_path):
    """A stream that fails half-way must not leave a partial file behind."""

    class BrokenStream(io.BytesIO):
        def read(self, size=-1):
            if self.tell() > 0:
                raise OSError("connection reset")
            return super().read(size)

    with pytest.raises(OSError):
        save_stream(BrokenStream(b"%PDF-" + b"x" * 200_000), str(tmp_path), "pdf", 10**7)
    with pytest.raises(UploadError):
        save_stream(io.BytesIO(b""), str(tmp_path), "pdf", 10**7)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "dirty, clean",
    [
        ("a/b/../c.txt", "c.txt"),
        ("..\\..\\windows\\boot.pdf", "boot.pdf"),
        ("\u202egnp.exe", "gnp.exe"),
        ("...", "download"),
        ("a:b*c?.txt", "a_b_c_.txt"),
        ("aux", "_aux"),
        ("  报告  2026 .pdf ", "报告 2026 .pdf"),
    ],
)
def test_sanitize_filename_keeps_letters_and_drops_danger(dirty, clean):
    assert sanitize_filename(dirty) == clean
