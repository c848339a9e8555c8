"""Serving the images editors uploaded for articles (portal/editor/images.py)."""

from flask import abort, current_app, send_file
from sqlalchemy import select

from portal.downloads.storage import stored_path
from portal.extensions import db
from portal.kb import bp
from portal.models import ArticleImage

IMAGE_CACHE = "public, max-age=31536000, immutable"  # a stored name never changes content


@bp.route("/images/<name>")
def image(name: str):
    found = db.session.scalar(select(ArticleImage).where(ArticleImage.stored_name == name))
    if found is None:
        abort(404)
    try:
        path = stored_path(current_app.config["UPLOAD_DIR"], found.stored_name)
    except ValueError:
        abort(404)
    if not path.is_file():
        abort(404)
    response = send_file(path, mimetype=found.content_type, max_age=0, conditional=True)
    response.headers["Cache-Control"] = IMAGE_CACHE
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
