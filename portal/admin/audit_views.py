"""The audit log page: every editor and admin action, filtered and paged (admins only)."""

import json
from zoneinfo import ZoneInfo

from flask import current_app, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from portal.admin import bp
from portal.audit.links import target_links
from portal.audit.services import (
    CLI_ACTOR,
    PER_PAGE,
    FilterError,
    changes,
    entries_query,
    is_digest,
    known_values,
    parse_filters,
)
from portal.extensions import db
from portal.forms import page_arg
from portal.inputs import FIRST_DAY, LAST_DAY
from portal.models import AuditEntry
from portal.permissions import admin_required

ACTION_LABELS = {
    "article.create": _l("Article created"),
    "article.update": _l("Article saved"),
    "article.publish": _l("Article published"),
    "article.archive": _l("Article archived"),
    "article.unpublish": _l("Article back to draft"),
    "article.restore": _l("Revision restored"),
    "category.create": _l("Category created"),
    "category.update": _l("Category saved"),
    "category.delete": _l("Category deleted"),
    "tag.rename": _l("Tag renamed"),
    "tag.merge": _l("Tags merged"),
    "tag.delete": _l("Tag deleted"),
    "flag.resolve": _l("Flag resolved"),
    "post.hide": _l("Post hidden"),
    "post.unhide": _l("Post shown again"),
    "topic.hide": _l("Topic hidden"),
    "topic.unhide": _l("Topic shown again"),
    "topic.lock": _l("Topic locked"),
    "topic.unlock": _l("Topic unlocked"),
    "topic.move": _l("Topic moved"),
    "topic.to_article": _l("Topic turned into an article"),
    "topic.reassign": _l("Question reassigned"),
    "assignment.decline": _l("Question declined by the expert"),
    "user.ban": _l("User banned from posting"),
    "user.unban": _l("Posting ban lifted"),
    "user.role": _l("Role changed"),
    "user.enable": _l("Account enabled"),
    "user.disable": _l("Account disabled"),
    "user.unlock": _l("Login lock lifted"),
    "article.review_settings": _l("Owner or review date changed"),
    "article.reviewed": _l("Article reviewed"),
    "expert_profile.update": _l("Expert profile edited"),
    "download.upload": _l("File uploaded"),
    "download.update": _l("File details edited"),
    "download.delete": _l("File deleted"),
    "product.create": _l("Product added"),
    "synonyms.create": _l("Synonym group added"),
    "synonyms.update": _l("Synonym group edited"),
    "synonyms.delete": _l("Synonym group deleted"),
    "product_term.add": _l("Product term added"),
    "product_term.delete": _l("Product term deleted"),
    "suggestion.block": _l("Suggestion blocked"),
    "suggestion.unblock": _l("Suggestion unblocked"),
}
FILTER_NAMES = ("actor", "action", "target_type", "start", "end")


def shown(value) -> str:
    """A before/after value as text: strings as they are, a long-text digest described."""
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    if is_digest(value):
        return _(
            "%(head)s… (%(chars)d characters, SHA-256 %(sha)s)",
            head=value["head"],
            chars=value["chars"],
            sha=value["sha256"][:12],
        )
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


@bp.route("/audit")
@admin_required
def audit():
    error, status = "", 200
    try:
        filters = parse_filters(request.args)
    except FilterError:
        error, status = (
            _(
                "Dates must look like 2026-11-01, from %(first)s to %(last)s, and the "
                "start may not be after the end.",
                first=FIRST_DAY,
                last=LAST_DAY,
            ),
            400,
        )
        filters = parse_filters(
            {k: v for k, v in request.args.items() if k not in ("start", "end")}
        )
    zone = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    page = db.paginate(
        entries_query(filters, zone), page=page_arg(), per_page=PER_PAGE, error_out=False
    )
    args = {name: request.args.get(name, "").strip() for name in FILTER_NAMES}
    return render_template(
        "admin/audit.html",
        page=page,
        args={k: v for k, v in args.items() if v},
        filters=args,
        error=error,
        links=target_links(page.items),
        changes=changes,
        shown=shown,
        labels=ACTION_LABELS,
        cli_actor=CLI_ACTOR,
        actions=known_values(AuditEntry.action),
        target_types=known_values(AuditEntry.target_type),
    ), status
