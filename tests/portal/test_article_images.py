"""Images in articles: uploaded by editors, checked by content, stored outside static/,
served from our origin; external images are warned about in the preview."""

import io
import struct
import zlib

from sqlalchemy import select

from portal.extensions import db
from portal.models import ArticleImage
from tests.response_support import close_request_body, fetch


def png_bytes(width=2, height=2) -> bytes:
    """A real (tiny) PNG."""

    def chunk(kind, data):
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    raw = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


GIF = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
WEBP = b"RIFF\x1a\x00\x00\x00WEBPVP8L\x0d\x00\x00\x00/\x00\x00\x00\x10\x07\x10\x11\x11\x88\x88\xfe\x07\x00"


def _upload(client, data: bytes, name: str):
    response = client.post(
        "/editor/images",
        data={"image": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )
    close_request_body(response)
    return response


def test_an_editor_uploads_images_that_are_served_from_our_origin(client, make, app):
    client.login(make.user("editor"))
    for data, name, kind in (
        (png_bytes(), "步骤 1.png", "image/png"),
        (GIF, "spinner.gif", "image/gif"),
        (WEBP, "photo.webp", "image/webp"),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 64, "scan.JPEG", "image/jpeg"),
    ):
        response = _upload(client, data, name)
        assert response.status_code == 200, (name, response.json)
        url = response.json["url"]
        assert response.json["markdown"].endswith(f"]({url})") and url.startswith("/images/")
        served = fetch(client, url)
        assert served.status_code == 200 and served.data == data
        assert served.headers["Content-Type"] == kind
        assert served.headers["X-Content-Type-Options"] == "nosniff"
        assert "immutable" in served.headers["Cache-Control"]
    stored = db.session.scalars(select(ArticleImage.stored_name)).all()
    assert len(stored) == 4 and all(len(name) == 32 for name in stored)
    upload_dir = app.config["UPLOAD_DIR"]
    assert "static" not in upload_dir
    assert client.get("/images/" + "0" * 32).status_code == 404
    assert client.get("/images/..%2Fportal.db").status_code == 404


def test_what_is_not_an_allowed_image_is_refused_with_a_message(client, make):
    client.login(make.user("editor"))
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    for data, name in (
        (b"not an image at all", "fake.png"),
        (svg, "icon.svg"),
        (png_bytes(), "renamed.gif"),
        (b"MZ\x90\x00", "setup.png"),
        (b"", "x.png"),
    ):
        response = _upload(client, data, name)
        assert response.status_code == 400, name
        assert response.json["error"]
    too_big = _upload(client, b"\x89PNG\r\n\x1a\n" + b"\x00" * (6 * 1024 * 1024), "big.png")
    assert too_big.status_code == 413 and "5.0 MB" in too_big.json["error"]
    assert db.session.scalar(select(ArticleImage)) is None
    assert client.post("/editor/images").status_code == 400


def test_only_editors_upload(client, make):
    client.login(make.user("customer"))
    assert _upload(client, png_bytes(), "a.png").status_code == 403
    big = _upload(client, b"\x89PNG\r\n\x1a\n" + b"\x00" * (3 * 1024 * 1024), "big.png")
    assert big.status_code in (403, 413)  # the site-wide limit stays for non-editors


def test_the_preview_warns_about_images_on_other_sites(client, make):
    client.login(make.user("editor"))
    client.post("/lang/en")
    response = client.post_json(
        "/editor/preview",
        {"markdown": "![ok](/images/abc)\n\n![far](https://cdn.example.com/a.png)"},
    )
    assert response.json["warnings"] == [
        "This image is on another site and will not be shown: https://cdn.example.com/a.png"
    ]


def test_a_backup_carries_the_article_images(app, client, make, tmp_path):
    import tarfile

    client.login(make.user("editor"))
    url = _upload(client, png_bytes(), "a.png").json["url"]
    archive = tmp_path / "backup.tar.gz"
    result = app.test_cli_runner().invoke(args=["backup", "create", "--out", str(archive)])
    assert result.exit_code == 0, result.output
    with tarfile.open(archive) as tar:
        assert f"uploads/{url.rsplit('/', 1)[1]}" in tar.getnames()
