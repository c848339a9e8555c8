"""The one exception account services raise; views show its message to the user."""


class AccountError(ValueError):
    """A request about an account that cannot be done; the message says why."""
