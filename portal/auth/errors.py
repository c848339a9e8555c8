"""The one exception account services raise; views show its message to the user."""


class AccountError(ValueError):
    """A request about an account that cannot be done; the message says why, and ``field``
    which value of the form it is about ("email", "password", "current"; None: the whole
    request), so a page can show it beside that field."""

    field: str | None = None

    def __init__(self, message="", *, field: str | None = None):
        super().__init__(message)
        if field is not None:
            self.field = field
