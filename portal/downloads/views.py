"""Downloads pages: the public library, file delivery, and the editors' upload and edit."""

import logging

from flask import (
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from portal.downloads import bp, services
from portal.downloads.forms import FileDetailsForm, ProductForm, UploadForm
from portal.downloads.storage import (
    UploadError,
    content_disposition,
    stored_path,
    too_large_message,
)
from portal.errors import handle_http_error, wants_json
from portal.extensions import db, login_manager
from portal.forms import ConfirmForm, int_arg
from portal.models import DownloadFile
from portal.permissions import can_edit_articles, editor_required
from portal.security.form_parts import TooManyFields

logger = logging.getLogger(__name__)

UPLOAD_ENDPOINTS = ("downloads.upload",)
FORM_OVERHEAD_BYTES = 256 * 1024  # the other form fields travel with the file
FILE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
}


def _upload_limits() -> services.UploadLimits:
    config = current_app.config
    return services.UploadLimits(
        upload_dir=config["UPLOAD_DIR"],
        max_bytes=int(config["MAX_UPLOAD_MB"] * 1024 * 1024),
        extensions=tuple(config["UPLOAD_EXTENSIONS"]),
    )


@bp.url_value_preprocessor
def _raise_body_limit_for_uploads(endpoint, _values) -> None:
    # URL preprocessors run before every before_request hook, including the CSRF check
    # that parses the body: the larger upload limit must be set before that, and only for
    # editors (anyone else keeps the site-wide limit and gets their 403 cheaply).
    if endpoint in UPLOAD_ENDPOINTS and can_edit_articles(current_user):
        request.max_content_length = _upload_limits().max_bytes + FORM_OVERHEAD_BYTES


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(error):
    if (
        request.endpoint not in UPLOAD_ENDPOINTS
        or not can_edit_articles(current_user)
        or isinstance(error, TooManyFields)
    ):
        return handle_http_error(error)
    # The body was refused unread, so the form comes back empty, with the limit named.
    form = UploadForm(formdata=None)
    form.fill_choices()
    flash(str(too_large_message(_upload_limits().max_bytes)), "error")
    return render_template("downloads/upload.html", form=form), 413


@bp.route("/")
def index():
    """The library: products, then versions newest first (``?product=slug`` narrows)."""
    product = request.args.get("product", "").strip()[:80] or None
    return render_template(
        "downloads/index.html", groups=services.library(product), product=product
    )


def _counts_as_download(status: int) -> bool:
    # Resumed downloads ask for a later byte range, and a 304 sends nothing: count a file
    # once, when its first bytes go out.
    byte_range = request.headers.get("Range", "")
    starts = not byte_range or byte_range.replace(" ", "").startswith("bytes=0-")
    return request.method == "GET" and status in (200, 206) and starts


@bp.route("/<int:file_id>/<name>")
def download(file_id: int, name: str):
    """Send a stored file as an attachment with safe headers (``name`` is cosmetic)."""
    item = db.get_or_404(DownloadFile, file_id)
    if item.customers_only and not current_user.is_authenticated:
        if wants_json():
            abort(403)
        return login_manager.unauthorized()
    path = stored_path(current_app.config["UPLOAD_DIR"], item.stored_name)
    if not path.is_file():
        logger.error("download %s: stored file %s is missing", item.id, item.stored_name)
        abort(404)
    response = send_file(
        path,
        mimetype=item.content_type,
        as_attachment=True,
        download_name=item.original_name,
        etag=item.sha256,
        max_age=0 if item.customers_only else 3600,
    )
    response.headers.update(FILE_HEADERS)
    # The stored type already names its charset; send_file's mimetype adds a second one.
    response.headers["Content-Type"] = item.content_type
    response.headers["Content-Disposition"] = content_disposition(item.original_name)
    if item.customers_only:
        response.headers["Cache-Control"] = "private, no-cache"
    if _counts_as_download(response.status_code):
        services.record_download(item.id)
    return response


@bp.route("/manage/")
@editor_required
def manage():
    """Editors' list of every file, with download counts."""
    return render_template("downloads/manage.html", files=services.all_files(), form=ConfirmForm())


@bp.route("/manage/upload", methods=["GET", "POST"])
@editor_required
def upload():
    """Upload a file with its details; a refused upload shows the form again."""
    form = UploadForm()
    form.fill_choices()
    if request.method == "GET":
        form.article_id.data = int_arg("article_id")
    if not form.validate_on_submit():
        return render_template("downloads/upload.html", form=form), 400 if form.errors else 200
    sent = form.file.data
    try:
        item = services.upload_file(
            sent.stream, sent.filename or "", form.details(), _upload_limits(), current_user.id
        )
    except UploadError as error:
        flash(str(error), "error")
        return render_template("downloads/upload.html", form=form), error.status
    flash(_("Uploaded %(name)s.", name=item.original_name), "success")
    return redirect(url_for("downloads.manage"))


@bp.route("/manage/<int:file_id>/edit", methods=["GET", "POST"])
@editor_required
def edit(file_id: int):
    """Edit what is shown about a file."""
    item = db.get_or_404(DownloadFile, file_id)
    form = FileDetailsForm(obj=item) if request.method == "GET" else FileDetailsForm()
    form.fill_choices()
    if form.validate_on_submit():
        try:
            services.update_details(item, form.details())
        except UploadError as error:
            db.session.rollback()
            flash(str(error), "error")
            return render_template("downloads/edit.html", form=form, item=item), error.status
        flash(_("Saved."), "success")
        return redirect(url_for("downloads.manage"))
    return render_template("downloads/edit.html", form=form, item=item), 400 if form.errors else 200


@bp.route("/manage/<int:file_id>/delete", methods=["POST"])
@editor_required
def delete(file_id: int):
    """Delete a file's row and its stored bytes."""
    item = db.get_or_404(DownloadFile, file_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    name = item.original_name
    services.delete_file(item, current_app.config["UPLOAD_DIR"])
    flash(_("Deleted %(name)s.", name=name), "success")
    return redirect(url_for("downloads.manage"), 303)


@bp.route("/manage/products", methods=["GET", "POST"])
@editor_required
def products():
    """List products and add one."""
    form = ProductForm()
    if form.validate_on_submit():
        try:
            services.create_product(
                form.name.data, form.name_en.data or "", form.slug.data, form.position.data or 0
            )
        except UploadError as error:
            flash(str(error), "error")
            return render_template(
                "downloads/products.html", form=form, products=services.products()
            ), 400
        flash(_("Product added."), "success")
        return redirect(url_for("downloads.products"))
    return render_template(
        "downloads/products.html", form=form, products=services.products()
    ), 400 if form.errors else 200
