"""Static files under versioned URLs, cached for a year.

Every url_for("static", filename=...) gets ?v=<first 10 hex of the file's SHA-256>, so a
changed file has a new URL; a static response asked for with the current version may then
be kept by browsers and proxies for a year without asking again."""

import hashlib
from functools import lru_cache
from pathlib import Path

from flask import Flask, Response, current_app, request

YEAR_CACHE = "public, max-age=31536000, immutable"


@lru_cache(maxsize=512)
def _file_version(static_folder: str, filename: str, mtime_ns: int) -> str:
    path = Path(static_folder) / filename
    return hashlib.sha256(path.read_bytes()).hexdigest()[:10]


def file_version(filename: str) -> str | None:
    """The version of a static file (None when there is no such file). Outside debug mode it
    is looked up once per process: every page asks for a dozen static URLs, and checking
    each file on disk cost ~7 % of a search page's CPU; a deploy restarts the workers."""
    if current_app.debug:
        return _checked_version(current_app.static_folder, filename)
    return _process_version(current_app.static_folder, filename)


@lru_cache(maxsize=1024)
def _process_version(folder: str, filename: str) -> str | None:
    return _checked_version(folder, filename)


def _checked_version(folder: str, filename: str) -> str | None:
    try:
        path = (Path(folder) / filename).resolve()
        if Path(folder).resolve() not in path.parents:
            return None
        return _file_version(folder, filename, path.stat().st_mtime_ns)
    except OSError:
        return None


def _add_version(endpoint: str, values: dict) -> None:
    if endpoint == "static" and "filename" in values and "v" not in values:
        version = file_version(values["filename"])
        if version:
            values["v"] = version


def _cache_static(response: Response) -> Response:
    if (
        request.endpoint == "static"
        and response.status_code == 200
        and request.args.get("v") == file_version(request.view_args.get("filename", ""))
    ):
        response.headers["Cache-Control"] = YEAR_CACHE
    return response


def init_app(app: Flask) -> None:
    app.url_defaults(_add_version)
    app.after_request(_cache_static)
