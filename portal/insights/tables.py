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


def csv_response(table: Table, filename_prefix: str = "insights") -> Response:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(table.columns)
    for row in table.rows:
        writer.writerow(["" if value is None else value for value in row])
    # A BOM so spreadsheet programs open the UTF-8 Chinese text correctly.
    body = "\ufeff" + buffer.getvalue()
    return Response(body, mimetype="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="{filename_prefix}-{table.name}.csv"'})


def pick_csv(tables: list[Table], name: str | None) -> Response | None:
    """The CSV download for ?csv=<name>, or None when no CSV was asked for."""
    if not name:
        return None
    for table in tables:
        if table.name == name:
            return csv_response(table)
    return None
