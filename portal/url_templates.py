"""url_for() for the links a page builds many of (two per search hit): the rule is built
once per app and script root with a marker where its one argument goes, and each URL is
that text with the argument encoded as Werkzeug encodes it. A url_for() cost about as much
as running the search's SQL; twenty of them a results page cost more.

Only for rules with one argument and nothing that url_defaults or a value preprocessor
adds (tests/portal/test_url_templates.py compares every use with url_for). The templates'
url_for() keeps the URLs it built (remembered_url_for)."""

from urllib.parse import quote, urlencode

from flask import current_app, has_request_context, request, url_for

_MARKS = {str: "urltemplatemark", int: 918_273_645_546_372_819}
# What Werkzeug leaves unquoted: BaseConverter.to_url in a path, its _urlencode in a query.
_PATH_SAFE = "!$&'()*+,/:;=@"
_QUERY_SAFE = "!$'()*,/:;?@"


def _parts(endpoint: str, name: str, kind: type) -> list[str]:
    key = (endpoint, name, request.script_root)
    store = current_app.extensions.setdefault("url_templates", {})
    parts = store.get(key)
    if parts is None:
        mark = _MARKS[kind]
        parts = store[key] = url_for(endpoint, **{name: mark}).split(str(mark))
    return parts


def url_with(endpoint: str, name: str, value: str | int, **query: object) -> str:
    """``url_for(endpoint, **{name: value}, **query)`` for a rule whose one argument
    ``name`` is a string (default converter) or an int; outside a request, url_for itself."""
    if not has_request_context():
        return url_for(endpoint, **{name: value}, **query)
    kind = int if isinstance(value, int) else str
    before, after = _parts(endpoint, name, kind)
    argument = str(value) if kind is int else quote(value, safe=_PATH_SAFE)
    url = before + argument + after
    items = [(key, item) for key, item in query.items() if item is not None]
    return url + "?" + urlencode(items, safe=_QUERY_SAFE) if items else url


MAX_REMEMBERED = 4096  # built URLs kept per app; the whole table is dropped when full


def remembered_url_for(endpoint: str, **values: object) -> str:
    """The templates' url_for(): a URL built once is kept per app, script root and
    arguments (a results page builds ~25, most the same on every page). Not kept in debug
    mode (static file versions follow edits there), for relative endpoints (they depend on
    the request's blueprint), with _external and the other _ options, or outside a request."""
    if (
        not has_request_context()
        or current_app.debug
        or endpoint.startswith(".")
        or any(name.startswith("_") for name in values)
    ):
        return url_for(endpoint, **values)
    # The type too: 1 and True are equal keys but build "1" and "True".
    key = (request.script_root, endpoint, *((k, type(v), v) for k, v in values.items()))
    store = current_app.extensions.setdefault("remembered_urls", {})
    try:
        url = store.get(key)
    except TypeError:  # an unhashable argument (a list of values)
        return url_for(endpoint, **values)
    if url is None:
        url = url_for(endpoint, **values)
        if len(store) >= MAX_REMEMBERED:
            store.clear()
        store[key] = url
    return url
