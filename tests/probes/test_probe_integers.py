"""Integer probes: Unicode digits ('²', '①', '٣', full-width '１'), signs, spaces, 20 and 4,301
digits in every integer argument (portal.forms.INTEGER_ARGS) of every GET route, in "<type>:<id>"
keys and in the integer fields of every write form. Never a 500; a route that reads the argument
answers 400 with a message, or ignores it where a default is the natural answer."""

import pytest

from portal.extensions import db
from portal.forms import INTEGER_ARGS, KEY_QUERY_ARGS
from portal.inputs import whole_number
from tests.probe_world import build_world
from tests.probe_write_routes import WRITE_ROUTES, fill

BAD_NUMBERS = [
    "²",
    "①",
    "٣",
    "１",
    "１２",
    "+1",
    "-1",
    " 1",
    "1 ",
    "1_0",
    "0x1",
    "1.0",
    "1e3",
    "9" * 20,
    "9" * 4301,
]
# Arguments whose bad value is ignored (an optional hint: the page is still the answer).
IGNORED = {"sid", "quote", "translate_from"}
# Which GET route reads which integer argument, with the values that make the rest valid.
READERS = {
    "/search": {"page": {"q": "退货"}},
    "/api/v1/search": {"page": {"q": "退货"}},
    "/forum/": {"page": {}},
    "/forum/c/<slug>": {"page": {}},
    "/admin/users": {"page": {}},
    "/admin/audit": {"page": {}},
    "/a/<slug>": {"sid": {}},
    "/forum/t/<int:topic_id>": {"quote": {}},
    "/search/click/<int:search_id>": {
        "rank": {"key": "article:{article_id}"},
        "key": {"rank": "1"},
    },
    "/editor/articles/<int:article_id>/revisions/<int:number>": {"against": {}},
    "/downloads/manage/upload": {"article_id": {}},
    "/insights/": {"days": {}},
    "/insights/gaps": {"days": {}, "min": {}},
    "/insights/articles": {"days": {}, "min_votes": {}},
    "/insights/articles/<int:article_id>": {"days": {}},
    "/editor/articles/new": {"translate_from": {"language": "en"}},
}
KEY_PREFIX = {"key": "article:"}
SKIP = {"/static/<path:filename>"}


@pytest.fixture
def world(app, make, client):
    return build_world(app, make, client)


def get_rules(app) -> list[str]:
    return sorted({r.rule for r in app.url_map.iter_rules() if "GET" in r.methods} - SKIP)


def _values(world, search_id: int) -> dict:
    return dict(
        world.ids(),
        search_id=search_id,
        file_id=world.file_id,
        name="manual.pdf",
        user_id=world.expert.id,
        slug=world.article.slug,
    )


@pytest.mark.parametrize("raw", BAD_NUMBERS + ["", "01x", "--1", "1-", "\u0661"])
def test_the_integer_parser_takes_ascii_digits_only(raw):
    with pytest.raises(ValueError):
        whole_number(raw)


def test_the_integer_parser_bounds_and_signs():
    assert whole_number("42") == 42 and whole_number("007") == 7
    assert whole_number("-5", low=-10) == -5
    for raw, low, high in [("-5", 0, 10), ("11", 0, 10), ("0", 1, 10), ("9" * 19, 0, 10**30)]:
        with pytest.raises(ValueError):
            whole_number(raw, low, high)


def test_every_reader_is_a_route_and_every_argument_is_read(app):
    """The map above stays true: its routes exist, and it names every argument of the list."""
    rules = set(get_rules(app))
    assert set(READERS) <= rules
    read = {name for names in READERS.values() for name in names}
    assert read - KEY_QUERY_ARGS <= INTEGER_ARGS
    # Form fields: the write-form probe below sends them.
    assert INTEGER_ARGS - read == {"topic_id", "base_revision", "translation_of", "owner_id"}


@pytest.mark.slow
def test_bad_integers_in_every_get_route(app, client, world):
    """Every GET route gets every integer argument at once, then each route that reads one gets
    it alone; as the admin, who may see every page."""
    client.login(world.admin)
    client.post("/lang/en")  # the messages are checked in English
    client.get("/search?q=退货")  # a search id for the click route
    search_id = db.session.execute(db.text("SELECT max(id) FROM search_logs")).scalar()
    values = _values(world, search_id)
    failures, count = [], 0
    for rule in get_rules(app):
        url = fill(rule, values | ({"slug": world.category.slug} if "/c/" in rule else {}))
        for bad in BAD_NUMBERS:
            args = {name: bad for name in INTEGER_ARGS} | {
                name: prefix + bad for name, prefix in KEY_PREFIX.items()
            }
            status = client.get(url, query_string=args).status_code
            count += 1
            if status >= 500:
                failures.append((rule, "all", bad, status))
        for name, base in READERS.get(rule, {}).items():
            base = {k: v.format(**values) for k, v in base.items()}
            for bad in BAD_NUMBERS:
                response = client.get(
                    url, query_string=base | {name: KEY_PREFIX.get(name, "") + bad}
                )
                count += 1
                wanted = 200 if name in IGNORED else 400
                if response.status_code != wanted:
                    failures.append((rule, name, bad[:30], response.status_code))
                elif (
                    wanted == 400
                    and "whole number" not in response.get_data(as_text=True)
                    and name not in ("key", "rank")
                ):
                    failures.append((rule, name, bad[:30], "no message"))
    assert count > 800
    assert not failures, failures


def _integer_fields(form: dict) -> list[str]:
    """The fields of a valid form that carry an integer (digits, or a known integer name)."""
    return [
        name
        for name, value in form.items()
        if name in INTEGER_ARGS
        or name.endswith("_id")
        or name in ("position", "max_open")
        or (isinstance(value, str) and value.isascii() and value.isdigit())
    ]


@pytest.mark.slow
def test_bad_integers_in_every_write_form(app, client, world):
    """Each integer field of each write form (as the admin, who may post them all; the topic
    ban form and the feedback form get their hidden topic_id and sid too)."""
    client.login(world.admin)
    forms = {rule: probe.form(world) for rule, probe in WRITE_ROUTES.items() if not probe.multipart}
    forms["/forum/u/<int:user_id>/ban"] = {"topic_id": str(world.topic.id)}
    forms["/a/<slug>/feedback"] = {"helpful": "no", "comment": "x", "sid": "1"}
    failures, count = [], 0
    for rule, form in sorted(forms.items()):
        for field in _integer_fields(form):
            for bad in BAD_NUMBERS:
                response = client.post(fill(rule, world.ids()), dict(form, **{field: bad}))
                count += 1
                if response.status_code >= 500:
                    failures.append((rule, field, bad[:30], response.status_code))
    assert count > 150
    assert not failures
