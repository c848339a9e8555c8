"""Accounts: register, log in/out, profile, password."""

from flask import Blueprint

bp = Blueprint("auth", __name__)

from portal.auth import first_password, views  # noqa: E402,F401
