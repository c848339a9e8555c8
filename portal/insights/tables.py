"""A table that renders as HTML and downloads as CSV from the same rows (so they agree)."""

import csv
import io
from dataclasses import dataclass, field

from flask import Response


@dataclass
class Table:
    name: str  # used in ?csv=<name> and the file name
    title: str
    columns: list[str]
    rows: list[list] = field(default_factory=list)
    note: str = ""


# A spreadsheet runs a cell that starts with one of these as a formula (=HYPERLINK(...) sends
# the sheet's data away); searches and comments are typed by anyone.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value) -> object:
    """The cell as written to CSV: text that a spreadsheet would run as a formula gets a leading
    apostrophe (the OWASP rule), so it shows as the text it is. Numbers stay numbers."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_response(table: Table, filename_prefix: str = "insights") -> Response:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in [table.columns, *table.rows]:
        writer.writerow([spreadsheet_safe(value) for value in row])
    # A BOM so spreadsheet programs open the UTF-8 Chinese text correctly.
    body = "\ufeff" + buffer.getvalue()
    # content_type, not mimetype: Flask adds "; charset=utf-8" to a text/* mimetype itself.
    return Response(
        body,
        content_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{filename_prefix}-{table.name}.csv"'
        },
    )


def pick_csv(tables: list[Table], name: str | None) -> Response | None:
    """The CSV download for ?csv=<name>, or None when no CSV was asked for."""
    if not name:
        return None
    for table in tables:
        if table.name == name:
            return csv_response(table)
    return None
