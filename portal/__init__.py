"""The customer self-service portal: a Flask app built by create_app()."""

import logging

from flask import Flask

from portal import optional_packages
from portal.config import build_config
from portal.extensions import babel, csrf, db, login_manager, migrate
from portal.paths import ROOT, shipped_dir

__all__ = ["ROOT", "create_app"]


def create_app(config: dict | None = None) -> Flask:
    """Build the app; ``config`` overrides environment-derived settings (tests use it)."""
    app = Flask(
        __name__,
        template_folder=str(shipped_dir("templates")),
        static_folder=str(shipped_dir("static")),
    )
    app.config.update(build_config(config))
    optional_packages.require_configured(app.config)
    configure_logging(app)
    configure_extensions(app)
    configure_blueprints(app)
    configure_security(app)
    configure_templates(app)
    configure_cli(app)
    configure_background_jobs(app)
    return app


def configure_logging(app: Flask) -> None:
    if not app.debug and not logging.getLogger().handlers:
        logging.basicConfig(
            level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )


def configure_extensions(app: Flask) -> None:
    from portal import i18n, nul_guard, sqlite_pragmas, visitor
    from portal.indexing import backend as search_backend
    from portal.kb import structure

    db.init_app(app)
    structure.install()
    with app.app_context():
        nul_guard.install(db.engine)
        sqlite_pragmas.install(db.engine)
    # Batch mode lets later migrations alter SQLite tables (it cannot ALTER most things).
    migrate.init_app(
        app,
        db,
        directory=str(shipped_dir("migrations")),
        render_as_batch=True,
        include_object=search_backend.search_table_filter(app),
    )
    csrf.init_app(app)
    babel.init_app(app, locale_selector=i18n.select_locale)
    i18n.install_template_gettext(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    login_manager.user_loader(visitor.load_user)
    search_backend.init_app(app)


def configure_blueprints(app: Flask) -> None:
    from portal import errors, url_converters
    from portal.admin import bp as admin_bp
    from portal.api import bp as api_bp
    from portal.ask import bp as ask_bp
    from portal.auth import bp as auth_bp
    from portal.downloads import bp as downloads_bp
    from portal.editor import bp as editor_bp
    from portal.experts import bp as experts_bp
    from portal.forum import bp as forum_bp
    from portal.insights import bp as insights_bp
    from portal.kb import bp as kb_bp
    from portal.me import bp as me_bp
    from portal.notify import bp as notify_bp
    from portal.search_tuning import bp as search_tuning_bp
    from portal.searching import bp as search_bp

    url_converters.init_app(app)
    blueprints = (
        kb_bp,
        editor_bp,
        auth_bp,
        admin_bp,
        search_bp,
        api_bp,
        ask_bp,
        forum_bp,
        experts_bp,
        me_bp,
        notify_bp,
        insights_bp,
    )
    for bp in blueprints:
        app.register_blueprint(bp)
    app.register_blueprint(downloads_bp)
    app.register_blueprint(search_tuning_bp)
    errors.init_app(app)


def configure_security(app: Flask) -> None:
    from portal import security

    security.init_app(app)


def configure_templates(app: Flask) -> None:
    from portal import static_assets, template_helpers

    template_helpers.init_app(app)
    static_assets.init_app(app)


def configure_cli(app: Flask) -> None:
    from portal import cli

    cli.init_app(app)


def configure_background_jobs(app: Flask) -> None:
    from portal.jobs import runner

    runner.init_app(app)
