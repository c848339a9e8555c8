"""Password strength by zxcvbn, its feedback in the user's language, and Argon2 rehashing."""

import ast
from pathlib import Path

import pytest
import zxcvbn
from argon2 import PasswordHasher
from flask_babel import force_locale, gettext

from portal.auth.passwords import ZXCVBN_FEEDBACK, WeakPasswordError, check_password_rules
from portal.extensions import db


def _register(client, password, email="bao@example.com", name=""):
    return client.post(
        "/register",
        {"email": email, "display_name": name, "password": password, "confirm": password},
    )


def test_a_weak_password_is_refused_with_the_reason_in_chinese(client):
    page = _register(client, "password123").get_data(as_text=True)
    assert "该密码太容易被猜到。" in page and "这是一个非常常见的密码。" in page
    assert "再加一两个词，不常见的词更好。" in page


def test_the_reason_is_in_english_for_english_pages(client):
    client.post("/lang/en")
    response = _register(client, "qwertyuiop12")
    assert response.status_code == 400
    assert "This password is too easy to guess." in response.get_data(as_text=True)


def test_the_email_name_and_the_display_name_are_refused(client):
    client.post("/lang/en")
    page = _register(client, "Wangfang-lake-42", email="wangfang@example.com")
    assert "must not contain the name part of your e-mail address" in page.get_data(as_text=True)
    # Strong on its own, but the display name is the first word a guesser tries.
    assert _register(client, "Baoshanlu-88", name="Baoshanlu").status_code == 400
    assert _register(client, "Baoshanlu-88", name="Li Wei").status_code == 200


def test_a_strong_password_is_accepted(app):
    with app.app_context():
        check_password_rules("Cedar-lantern-91", "li.wei@example.com", "李伟")
        check_password_rules("Cedar-lantern-91-" + "长" * 183, "")  # over zxcvbn's 72: no crash
        with pytest.raises(WeakPasswordError):
            check_password_rules("1qaz2wsx3edc", "li.wei@example.com")


def _zxcvbn_feedback_texts() -> set[str]:
    """Every string zxcvbn's feedback module passes to gettext."""
    tree = ast.parse(Path(zxcvbn.__file__).with_name("feedback.py").read_text(encoding="utf-8"))
    return {
        node.args[0].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "_"
    }


def test_every_zxcvbn_feedback_text_is_in_the_catalog(app):
    texts = _zxcvbn_feedback_texts()
    assert len(texts) > 20 and texts == ZXCVBN_FEEDBACK
    with app.test_request_context(), force_locale("zh_CN"):
        untranslated = [text for text in texts if gettext(text) == text]
    assert not untranslated


def test_a_hash_with_old_parameters_is_replaced_at_login(client, make):
    user = make.user()
    user.password_hash = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(
        "password123"
    )
    db.session.commit()
    assert user.password_needs_rehash()
    old_hash = user.password_hash
    client.login(user)
    db.session.refresh(user)
    assert user.password_hash != old_hash and not user.password_needs_rehash()
    assert user.check_password("password123")
