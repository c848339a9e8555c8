"""One place that turns errors into friendly pages or JSON, and never shows a traceback."""

import logging
from datetime import timedelta

from flask import Flask, jsonify, make_response, render_template, request
from flask_babel import format_timedelta
from flask_babel import gettext as _
from flask_limiter import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError, SecurityError

from portal.extensions import db
from portal.security.limits import count_refused_request, retry_after_seconds

logger = logging.getLogger(__name__)


def wants_json() -> bool:
    if request.path.startswith("/api/") or request.path == "/healthz" or request.is_json:
        return True
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    accepted = request.accept_mimetypes
    return best == "application/json" and accepted[best] > accepted["text/html"]


def respond(code: int, message: str):
    """The error page, or JSON for API and JSON callers, with ``message``."""
    if wants_json():
        return jsonify({"error": message, "status": code}), code
    return render_template("errors/error.html", code=code, message=message), code


def _message_for(error: HTTPException) -> str:
    messages = {
        400: _("The request could not be understood."),
        401: _("Please log in first."),
        403: _("You do not have permission to see this page."),
        404: _("We could not find that page."),
        405: _("That action is not allowed here."),
        413: _("The upload is too large."),
        429: _("Too many requests. Please wait a moment."),
    }
    return messages.get(error.code, error.name)


def handle_http_error(error: HTTPException):
    message = _message_for(error)
    if (
        error.code in (400, 413)
        and error.description
        and (error.description != error.__class__.description)
    ):
        message = error.description
    if error.code == 403 and error.description and error.description != error.__class__.description:
        message = _("This page needs one of these roles: %(roles)s.", roles=error.description)
    return respond(error.code or 500, message)


def handle_untrusted_host(error: SecurityError):
    """A Host header the site is not served under (TRUSTED_HOSTS): no page of ours, since
    nothing can build links for a host we refuse; a short plain-text 400."""
    logger.info("refused host %r on %s", request.headers.get("Host", ""), request.path)
    response = make_response(_("This site is not served under that host name."), 400)
    response.mimetype = "text/plain"
    return response


def handle_csrf_error(error: CSRFError):
    try:
        count_refused_request()
    except RateLimitExceeded as limited:
        return handle_too_many_requests(limited)
    return respond(400, _("The form expired or was not sent from this site. Please try again."))


def handle_too_many_requests(error: HTTPException):
    """429 from the rate limiter (or abort(429)): say how long to wait, also in Retry-After."""
    message = _message_for(error)
    wait = retry_after_seconds()
    if wants_json():
        response = jsonify({"error": message, "status": 429, "retry_after": wait})
    else:
        retry_in = format_timedelta(timedelta(seconds=wait)) if wait else ""
        response = make_response(
            render_template("errors/error.html", code=429, message=message, retry_in=retry_in)
        )
    response.status_code = 429
    if wait:
        response.headers["Retry-After"] = str(wait)
    return response


def handle_unexpected_error(error: Exception):
    db.session.rollback()
    logger.exception("unhandled error on %s %s", request.method, request.path)
    return respond(500, _("Something went wrong on our side. Please try again later."))


def init_app(app: Flask) -> None:
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(SecurityError, handle_untrusted_host)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(429, handle_too_many_requests)
    app.register_error_handler(InternalServerError, handle_unexpected_error)
    app.register_error_handler(Exception, handle_unexpected_error)
