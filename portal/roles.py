"""The roles, the sets of them that share a power, and the predicates views, services and
templates ask (no Flask import: models, services and the CLI use it alike)."""

CUSTOMER, EXPERT, EDITOR, ADMIN = "customer", "expert", "editor", "admin"
ROLES = (CUSTOMER, EXPERT, EDITOR, ADMIN)  # the values of users.role, least power first
# Answer forum questions (accept answers, post unthrottled); their searches and topics are
# kept out of the insights, which measure customers.
STAFF_ROLES = (EXPERT, EDITOR, ADMIN)
EDITOR_ROLES = (EDITOR, ADMIN)  # edit the knowledge base and moderate the forum


def _role(user) -> str | None:
    """The role of a logged-in user; None for nobody or an anonymous visitor."""
    return user.role if user is not None and user.is_authenticated else None


def is_staff(user) -> bool:
    return _role(user) in STAFF_ROLES


def is_editor(user) -> bool:
    return _role(user) in EDITOR_ROLES


def is_admin(user) -> bool:
    return _role(user) == ADMIN
