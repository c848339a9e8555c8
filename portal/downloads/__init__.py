"""Downloads library: manuals, drivers and releases per product, with editors' uploads."""

from pathlib import Path

from flask import Blueprint
from markupsafe import Markup

from portal.downloads.services import files_for_article
from portal.downloads.storage import human_size

bp = Blueprint("downloads", __name__, url_prefix="/downloads")


@bp.record_once
def _check_upload_dir(state) -> None:
    # Anything under static/ is served raw by the web server, with no login and no safe headers.
    upload_dir = Path(state.app.config["UPLOAD_DIR"]).resolve()
    static_dir = Path(state.app.static_folder or "").resolve()
    if upload_dir == static_dir or static_dir in upload_dir.parents:
        raise RuntimeError(f"UPLOAD_DIR must not be inside the static folder: {upload_dir}")


@bp.app_template_filter("filesize")
def filesize(size: int) -> str:
    """Template filter: bytes as 1.5 MB."""
    return human_size(size or 0)


@bp.app_template_filter("release_notes")
def release_notes(file) -> Markup:
    """Template filter: a file's release notes, as rendered and sanitised when saved."""
    return Markup(file.release_notes_html or "")  # noqa: S704 (sanitised by nh3 at save)


@bp.app_template_global("article_downloads")
def article_downloads(article) -> list:
    """The files attached to an article (for the article page's attachments block)."""
    return files_for_article(article.id) if article is not None and article.id else []


from portal.downloads import views  # noqa: E402,F401
