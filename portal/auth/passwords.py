"""Password strength rules and generated passwords.

A password must have at least MIN_PASSWORD_LENGTH characters, must not contain the local part
of the account's e-mail address when that part has 4 characters or more, and must reach
MIN_SCORE on zxcvbn, which knows common passwords, names, words, keyboard rows, repeats,
sequences and dates, and is told the e-mail name and display name as words a guesser would
try first. A refusal says why in the user's language: zxcvbn's English feedback is looked up
in our catalog (ZXCVBN_FEEDBACK)."""

import secrets
import threading

from flask_babel import LazyString, gettext
from flask_babel import lazy_gettext as _l

from portal.auth.errors import AccountError

MIN_PASSWORD_LENGTH = 10
# zxcvbn's 0-4 scale; 3 is "safely unguessable" (about 10^8 guesses and more).
MIN_SCORE = 3
_EMAIL_NAME_MIN = 4
# zxcvbn refuses longer input; a prefix that scores well makes the whole password score well.
_ZXCVBN_MAX_CHARS = 72
# zxcvbn keeps the user inputs in a module-level dictionary while it scores: one at a time.
_zxcvbn_lock = threading.Lock()


def N_(text: str) -> str:
    """Mark a text for the catalog (pybabel's default keyword); translated when shown."""
    return text


# Every warning and suggestion zxcvbn 4.x can give (zxcvbn/feedback.py; a test keeps this true).
ZXCVBN_FEEDBACK = frozenset(
    {
        N_("Use a few words, avoid common phrases."),
        N_("No need for symbols, digits, or uppercase letters."),
        N_("Add another word or two. Uncommon words are better."),
        N_("Straight rows of keys are easy to guess."),
        N_("Short keyboard patterns are easy to guess."),
        N_("Use a longer keyboard pattern with more turns."),
        N_('Repeats like "aaa" are easy to guess.'),
        N_('Repeats like "abcabcabc" are only slightly harder to guess than "abc".'),
        N_("Avoid repeated words and characters."),
        N_('Sequences like "abc" or "6543" are easy to guess.'),
        N_("Avoid sequences."),
        N_("Recent years are easy to guess."),
        N_("Avoid recent years."),
        N_("Avoid years that are associated with you."),
        N_("Dates are often easy to guess."),
        N_("Avoid dates and years that are associated with you."),
        N_("This is a top-10 common password."),
        N_("This is a top-100 common password."),
        N_("This is a very common password."),
        N_("This is similar to a commonly used password."),
        N_("A word by itself is easy to guess."),
        N_("Names and surnames by themselves are easy to guess."),
        N_("Common names and surnames are easy to guess."),
        N_("Capitalization doesn't help very much."),
        N_("All-uppercase is almost as easy to guess as all-lowercase."),
        N_("Reversed words aren't much harder to guess."),
        N_("Predictable substitutions like '@' instead of 'a' don't help very much."),
    }
)


# The rules as shown under every new-password field, before the first try.
PASSWORD_RULES = _l(
    "At least %(n)d characters; avoid common passwords, simple sequences and your e-mail name.",
    n=MIN_PASSWORD_LENGTH,
)


class WeakPasswordError(AccountError):
    """The password breaks a strength rule; the message says which."""

    field = "password"


def _too_guessable(feedback: list[str]) -> LazyString:
    """The refusal: "too easy to guess", then zxcvbn's warning and suggestions, translated
    when shown (the reason's language is the reader's, not the checker's)."""

    def message() -> str:
        parts = [gettext("This password is too easy to guess.")]
        parts += [gettext(text) if text in ZXCVBN_FEEDBACK else text for text in feedback if text]
        return " ".join(parts)

    return LazyString(message)


def strength(password: str, user_inputs: list[str]) -> dict:
    """zxcvbn's verdict (score 0-4, feedback, matched patterns) on ``password``."""
    # Imported on the first check: building its word lists costs every process ~60 ms CPU
    # and ~MBs, and most (CLI commands, workers answering searches) never check a password.
    from zxcvbn import zxcvbn

    with _zxcvbn_lock:
        return zxcvbn(password[:_ZXCVBN_MAX_CHARS], user_inputs=user_inputs)


def check_password_rules(password: str, email: str = "", name: str = "") -> None:
    """Raise WeakPasswordError with a message for the first rule the password breaks;
    ``email`` and ``name`` (the display name) are the account's."""
    password = password or ""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPasswordError(
            _l("The password needs at least %(n)d characters.", n=MIN_PASSWORD_LENGTH)
        )
    email_name = (email or "").split("@")[0].strip().lower()
    if len(email_name) >= _EMAIL_NAME_MIN and email_name in password.lower():
        raise WeakPasswordError(
            _l("The password must not contain the name part of your e-mail address.")
        )
    inputs = [word for word in (email_name, (name or "").strip(), *(name or "").split()) if word]
    result = strength(password, inputs)
    if result["score"] < MIN_SCORE:
        feedback = result["feedback"]
        raise WeakPasswordError(_too_guessable([feedback["warning"], *feedback["suggestions"]]))


def generate_password() -> str:
    """A random password (about 96 bits) that passes check_password_rules()."""
    while True:
        password = secrets.token_urlsafe(12)
        try:
            check_password_rules(password)
        except WeakPasswordError:  # astronomically rare, but "generated" must mean "valid"
            continue
        return password
