"""Uploading an image from the article editor (a file chosen, pasted or dropped)."""

from flask import current_app, jsonify, request
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from portal.downloads.storage import UploadError, too_large_message
from portal.editor import bp
from portal.editor.images import MAX_IMAGE_BYTES, alt_text, save_image
from portal.extensions import db
from portal.permissions import can_edit_articles, editor_required
from portal.security.form_parts import TooManyFields

FORM_OVERHEAD_BYTES = 64 * 1024  # the multipart envelope and the CSRF token around the image


@bp.url_value_preprocessor
def _raise_body_limit_for_images(endpoint, _values) -> None:
    # Before the CSRF check parses the body: only editors get more than the site-wide limit.
    if endpoint == "editor.upload_image" and can_edit_articles(current_user):
        request.max_content_length = MAX_IMAGE_BYTES + FORM_OVERHEAD_BYTES


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(error):
    if request.endpoint != "editor.upload_image" or isinstance(error, TooManyFields):
        return error
    return jsonify({"error": str(too_large_message(MAX_IMAGE_BYTES))}), 413


@bp.route("/images", methods=["POST"])
@editor_required
def upload_image():
    """{"url", "markdown"} for the stored image, or {"error"} with 400 / 413."""
    upload = request.files.get("image")
    if upload is None or not upload.filename:
        return jsonify({"error": _("Choose an image to upload.")}), 400
    try:
        image = save_image(
            upload.stream.read(), upload.filename, current_app.config["UPLOAD_DIR"], current_user.id
        )
    except UploadError as error:
        db.session.rollback()
        return jsonify({"error": str(error)}), error.status
    db.session.commit()
    url = f"/images/{image.stored_name}"
    return jsonify({"url": url, "markdown": f"![{alt_text(upload.filename)}]({url})"})
