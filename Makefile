# Two commands do all set-up: `make run` and `make test`. Both are idempotent.
SHELL  := /bin/bash
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
FLASK  := $(BIN)/flask --app wsgi
HOST   ?= 127.0.0.1
PORT   ?= 5000
STAMP  := $(VENV)/.installed
TRANSLATIONS := portal/translations
# The exact versions (with hashes) of everything `make install` installs: the dependencies,
# the dev, postgres and redis extras. deploy.txt: the same pins without dev, for servers.
LOCK        := requirements/dev.txt
DEPLOY_LOCK := requirements/deploy.txt
UV_VERSION  := 0.13.9
# Compiled modules are cached in __pycache__ even where the environment turns that off
# (PYTHONDONTWRITEBYTECODE): without the cache every test process compiled the portal and
# re-wrote the asserts of every test module again, ~3.5 s of CPU a process (pytest's
# collection 6.8 -> 3.1 s), and so did every command and server process the tests start.
unexport PYTHONDONTWRITEBYTECODE

.PHONY: run test test-fast test-postgres setup install translations lint messages clean bench \
	lock wheel-check

$(STAMP): pyproject.toml $(LOCK)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --require-hashes -r $(LOCK)
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

# Re-resolve the locks after a change to the dependencies in pyproject.toml: pins already
# there are kept unless pyproject.toml rules them out; `make lock UPGRADE=1` takes the newest
# versions the bounds allow. Universal: one lock for every platform and Python >= 3.11.
UV_COMPILE = $(BIN)/uv pip compile pyproject.toml --quiet --generate-hashes --universal \
	--python-version 3.11 --custom-compile-command 'make lock' $(if $(UPGRADE),--upgrade)
lock:
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet 'uv==$(UV_VERSION)'
	$(UV_COMPILE) --extra dev --extra postgres --extra redis -o $(LOCK)
	$(UV_COMPILE) --extra postgres --extra redis -c $(LOCK) -o $(DEPLOY_LOCK)

install: $(STAMP) translations

translations: $(STAMP)
	$(BIN)/pybabel compile --use-fuzzy -d $(TRANSLATIONS)

# Migrate, import the shipped articles, build the index if missing, make the first admin.
setup: install
	$(FLASK) db upgrade
	$(FLASK) kb import kb_articles
	$(FLASK) search reindex --if-missing
	$(FLASK) users ensure-admin

run: setup
	$(FLASK) run --host $(HOST) --port $(PORT)

# The suite runs in one process per core (pytest-xdist; WORKERS=0 for one process), a test
# file per process at a time (module fixtures such as the live server are built once).
WORKERS ?= auto
PYTEST  := $(BIN)/python -m pytest -n $(WORKERS) --dist loadfile

# Every test, on SQLite + tantivy (the engine tests run every engine, and the tests marked
# `postgres` use the local PostgreSQL server when it answers).
test: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(PYTEST)

# Build the wheel, install it in a fresh venv outside the tree and serve pages from it.
wheel-check: $(STAMP)
	PYTHON=$(BIN)/python .ci/wheel_check.sh

# The quick part for development (1,233 tests, 1 min 30 s on 2 idle cores): no browser, no processes,
# nothing marked slow.
test-fast: install
	$(PYTEST) -m "not slow and not browser and not multiprocess"

# The tests whose outcome depends on the database (marker `database`: every test that uses
# the suite's test database, set by tests/conftest.py) again on PostgreSQL, database and search
# backend, in throw-away databases that pytest creates and drops. The rest (engines on their
# own index, the analyzer, processes with their own databases, tests marked `any_database`
# such as the browser scenarios) did the same work in `make test` and is not repeated. Needs
# a server, by default the local one.
PG_SERVER ?= postgresql+psycopg://postgres@127.0.0.1:5432
PG_TEST_DB ?= portal_test_$(shell date +%s)_$$$$
test-postgres: install
	PORTAL_TEST_DATABASE_URL=$(PG_SERVER)/$(PG_TEST_DB) PORTAL_TEST_SEARCH_BACKEND=postgres \
		$(PYTEST) -m database

# Speed benchmarks (figures, not timed tests): corpus, reindex, search engines, HTTP, relevance.
# `make bench SIZE=100000` for the large corpus (cached in bench/.cache/ once built).
# The pure-Python engine (whoosh) and the PostgreSQL ones (postgres engine, two hosts) are
# measured on a corpus of at most SUBSET documents: at 100k their builds and query sets alone
# took ~40 min. Each table names the corpus it ran on; the header says which is which.
SIZE    ?= 10000
SUBSET  ?= 10000
SMALL   := $(shell echo $$(( $(SIZE) < $(SUBSET) ? $(SIZE) : $(SUBSET) )))
RESULTS := bench/results.md
bench: install
	printf '# Benchmark results\n\n%s, %s cores (%s), corpus of %s documents (whoosh, postgres and the two-host run: %s).\n\nThe machine has 2 shared cores and is noisy: compare ratios within one run rather than absolute figures across runs.\n\n' \
		"$$(date '+%Y-%m-%d %H:%M')" "$$(nproc)" \
		"$$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')" "$(SIZE)" "$(SMALL)" > $(RESULTS)
	$(BIN)/python -m bench.corpus --size $(SIZE) --markdown $(RESULTS)
	$(if $(filter $(SIZE),$(SMALL)),,$(BIN)/python -m bench.corpus --size $(SMALL) --no-progress)
	$(BIN)/python -m bench.reindex --size $(SIZE) --markdown $(RESULTS)
	$(if $(filter $(SIZE),$(SMALL)),$(BIN)/python -m bench.engines --size $(SIZE) --markdown $(RESULTS), \
		$(BIN)/python -m bench.engines --size $(SIZE) --backend tantivy --markdown $(RESULTS) && \
		$(BIN)/python -m bench.engines --size $(SMALL) --backend whoosh --backend postgres --markdown $(RESULTS))
	$(BIN)/python -m bench.http_load --size $(SIZE) --markdown $(RESULTS)
	# PostgreSQL + Redis, one host vs two hosts (needs both servers on 127.0.0.1).
	if (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; then \
		$(BIN)/python -m bench.http_hosts --size $(SMALL) --markdown $(RESULTS); \
	else echo "no PostgreSQL on 127.0.0.1:5432: bench.http_hosts skipped"; fi
	$(BIN)/python -m bench.relevance --out bench/.cache/relevance.md
	cat bench/.cache/relevance.md >> $(RESULTS)
	@echo "Results written to $(RESULTS)"

# Re-extract translatable strings into the catalogs (run after changing UI text).
messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -o $(TRANSLATIONS)/messages.pot .
	$(BIN)/pybabel update -i $(TRANSLATIONS)/messages.pot -d $(TRANSLATIONS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) instance
