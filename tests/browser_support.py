"""Support for the browser tests: a live portal on a free port, Chromium, and page helpers.

The server is prepared the way `make run` prepares one (migrations, the shipped articles, a
full index, accounts) but over a temporary data directory, and serves from a thread of this
process, so a test can still look at the database or run a service (the router's sweep)
in-process between two clicks."""

import logging
import os
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from flask import Flask
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, Playwright
from werkzeug.serving import BaseWSGIServer, make_server

from portal import create_app
from portal.extensions import db
from portal.indexing.backend import close_backend
from tests import ROOT
from tests.conftest import _app_config

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM = Path(os.environ.get("PORTAL_CHROMIUM") or "/usr/bin/chromium")
# Without the background-networking flags Chromium keeps dialling Google services, which
# floods a closed network with refused connections.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
# Strong enough for the tightened password rules (length, not a common password).
PASSWORD = "Qinghe-browser-2026!"
ACCOUNTS = {
    role: f"browser-{role}@example.com" for role in ("customer", "expert", "editor", "admin")
}
WAIT_MS = 20_000  # generous: the 2 shared cores are often busy; waits end when met


def live_config(data_dir: Path, database_url: str) -> dict:
    """The app's settings for a live test server in ``data_dir``: the suite's database and
    search engine (tests/conftest.py), so the PostgreSQL pass drives PostgreSQL too."""
    return {
        **_app_config(data_dir, database_url),
        "TESTING": False,
        "SECRET_KEY": "browser-test-secret",
        "UPLOAD_DIR": str(data_dir / "uploads"),
        # Many logins and searches from one address in a minute: not what limits are for.
        "RATELIMIT_ENABLED": False,
        # No background sweep: the tests run the router themselves, when they choose.
        "JOBS_INTERVAL_SECONDS": 0,
    }


def prepare_data(app: Flask) -> None:
    """Run the commands of `make setup`: migrate, import kb_articles/, build the index if
    missing, then one account per role (through `flask users create`)."""
    commands = [
        ["db", "upgrade"],
        ["kb", "import", str(ROOT / "kb_articles")],
        ["search", "reindex", "--if-missing"],
    ]
    commands += [
        [
            "users",
            "create",
            email,
            "--role",
            role,
            "--name",
            f"Browser {role}",
            "--password",
            PASSWORD,
        ]
        for role, email in ACCOUNTS.items()
    ]
    runner = app.test_cli_runner()
    for args in commands:
        result = runner.invoke(args=args)
        if result.exit_code != 0:
            raise RuntimeError(f"flask {' '.join(args)} failed:\n{result.output}")


@dataclass
class LiveServer:
    """A real app serving HTTP from a background thread."""

    app: Flask
    server: BaseWSGIServer
    thread: threading.Thread

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def url(self, path: str) -> str:
        return self.base_url + path

    @contextmanager
    def app_context(self):
        """Look at the database or call a service in-process (its own session)."""
        with self.app.app_context():
            try:
                yield
            finally:
                db.session.remove()

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(timeout=10)
        self.server.server_close()
        with self.app.app_context():
            close_backend(self.app)
            db.engine.dispose()


def start_live_server(data_dir: Path, database_url: str) -> LiveServer:
    """Prepare ``data_dir`` and serve the app on a free port until ``stop()``."""
    app = create_app(live_config(data_dir, database_url))
    prepare_data(app)
    # The request log would bury pytest's output; errors still go to the app's logger.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-portal", daemon=True)
    thread.start()
    return LiveServer(app, server, thread)


def launch_chromium(playwright: Playwright) -> Browser:
    """Debian's Chromium (Playwright's own browser download is not used)."""
    return playwright.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
    )


def new_context(browser: Browser, server: LiveServer) -> BrowserContext:
    """A fresh profile (no cookies). The user agent is a desktop Chrome's: headless Chromium
    names itself HeadlessChrome, which the portal rightly counts as a bot and leaves out of
    the insight figures."""
    agent = (
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
        f"Chrome/{browser.version} Safari/537.36"
    )
    context = browser.new_context(
        base_url=server.base_url,
        user_agent=agent,
        locale="zh-CN",
        viewport={"width": 1280, "height": 900},
    )
    context.set_default_timeout(WAIT_MS)
    return context


@dataclass
class PageProblems:
    """Console errors (CSP violations are reported there), uncaught exceptions and server
    errors seen by every page of a context."""

    found: list[str] = field(default_factory=list)

    def watch(self, page: Page) -> None:
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.found.append(f"pageerror: {error}"))
        page.on("response", self._response)

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.found.append(f"console error at {message.location.get('url')}: {message.text}")

    def _response(self, response) -> None:
        if response.status >= 500:
            self.found.append(f"HTTP {response.status} for {response.url}")


def log_in(page: Page, role: str) -> None:
    """Log in through the login form as the account of ``role``."""
    page.goto("/login")
    page.fill("#email", ACCOUNTS[role])
    page.fill("#password", PASSWORD)
    page.locator("main form").locator("button[type=submit]").click()
    page.wait_for_url(lambda url: urlsplit(url).path != "/login")
    # The header's log-out form shows only to a logged-in visitor.
    page.locator("header form[action='/logout']").wait_for()


def type_text(page: Page, selector: str, text: str, delay_ms: int = 30) -> None:
    """Key by key, as a person types (input events fire for every character)."""
    box = page.locator(selector)
    box.fill("")
    box.press_sequentially(text, delay=delay_ms)


def result_keys(page: Page) -> list[str]:
    """The "article:12" keys of the results on a search page, in rank order."""
    hrefs = page.locator("ol.results li.result h2 a").evaluate_all(
        "links => links.map(a => a.getAttribute('href'))"
    )
    return [parse_qs(urlsplit(href).query)["key"][0] for href in hrefs]


def screenshot(page: Page, name: str) -> Path:
    """Save the whole page under tests/artifacts/ (kept for a look after a run)."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
