"""url_for() for the links a page builds many of (two per search hit): the rule is built
once per app and script root with a marker where its one argument goes, and each URL is
that text with the argument encoded as Werkzeug encodes it. A url_for() cost about as much
as running the search's SQL; twenty of them a results page cost more.

Only for rules with one argument and nothing that url_defaults or a value preprocessor
adds (tests/portal/test_url_templates.py compares every use with url_for)."""

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
