"""The localisation dashboard: per language, the articles still to translate and the
translations behind their original, most viewed first (as SUMO's)."""

from flask import render_template, request

from portal.editor import bp
from portal.kb.translations import localization_rows
from portal.models.kb import LANGUAGES
from portal.permissions import editor_required


@bp.route("/localization")
@editor_required
def localization():
    language = request.args.get("language", "en")
    if language not in LANGUAGES:
        language = "en"
    missing, outdated = localization_rows(language)
    return render_template(
        "editor/localization.html",
        language=language,
        languages=LANGUAGES,
        missing=missing,
        outdated=outdated,
    )
