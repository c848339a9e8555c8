"""Placeholder: being written."""

from portal.insights import bp  # noqa: F401
