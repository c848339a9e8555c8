"""The fault benchmark's HTTP client reads forms as a browser would submit them."""

import pytest

from bench._faults_client import form_fields


def test_form_fields_submit_what_a_browser_would():
    """The editor-form reader keeps selected options and textarea text (minus the newline
    WTForms adds), skips unchecked boxes, and picks the form holding the wanted field."""
    page = """<form action="/search"><input name="q" value="x"></form>
    <form method="post"><input type="hidden" name="csrf_token" value="t1">
    <select name="status"><option value="draft">D</option>
      <option value="published" selected>P</option></select>
    <select name="category_id"><option value="">—</option><option value="3">C</option></select>
    <input type="checkbox" name="wants_expert" value="y">
    <input type="submit" name="save" value="Save">
    <textarea name="body_md">\r\n# Title &amp; more\nline</textarea></form>"""
    assert form_fields(page, "body_md") == {
        "csrf_token": "t1",
        "status": "published",
        "category_id": "",
        "body_md": "# Title & more\nline",
    }
    with pytest.raises(ValueError):
        form_fields(page, "missing")
