"""flask kb import of many files: several batches, bad files among them, re-imports."""

from pathlib import Path

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Article, ArticleRevision
from tests.kb_import_support import (
    article_by_slug,
    count_rows,
    import_directory_with,
    write_files,
)

BULK_FILES = 1200  # more than two batches of BATCH_SIZE
NUMBER_WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]


def _spelled(number: int) -> str:
    """1107 -> "oneonezeroseven": a word only that file has, for a search that finds one."""
    return "".join(NUMBER_WORDS[int(digit)] for digit in str(number))


def _write_many(directory: Path, count: int) -> None:
    for number in range(count):
        write_files(
            directory,
            {
                f"section-{number % 7}/guide {number:04d}.md": (
                    f"# Widget guide {number}\n\nReset the widget, then {_spelled(number)} it.\n"
                )
            },
        )


def _search_total(client, query: str) -> int:
    return client.get(f"/api/v1/search?q={query}").json["total"]


@pytest.mark.slow
def test_bulk_import_saves_every_file_with_its_first_revision_and_indexes_it(app, client, tmp_path):
    """1,200 files over three batches: every article, one revision each, all searchable."""
    from portal.indexing.backend import get_backend
    from portal.kb.importer import BATCH_SIZE
    from portal.models import IndexTask

    assert BULK_FILES > 2 * BATCH_SIZE
    _write_many(tmp_path, BULK_FILES)
    result = app.test_cli_runner().invoke(args=["kb", "import", "--plain-markdown", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert f"{BULK_FILES} new, 0 updated, 0 unchanged, 0 skipped, 0 errors" in result.output
    assert (count_rows(Article), count_rows(ArticleRevision), count_rows(IndexTask)) == (
        BULK_FILES,
        BULK_FILES,
        0,
    )
    revisions = db.session.execute(
        select(
            func.min(ArticleRevision.number),
            func.max(ArticleRevision.number),
            func.count(func.distinct(ArticleRevision.article_id)),
        )
    ).one()
    assert tuple(revisions) == (1, 1, BULK_FILES)
    guide = article_by_slug("section-1-guide-1107")
    assert (guide.title, guide.status, guide.revisions[0].body_md) == (
        "Widget guide 1107",
        "published",
        guide.body_md,
    )
    assert get_backend().document_count() == BULK_FILES
    found = client.get("/api/v1/search?q=widget").json
    # Past search.paging.TOTAL_CAP the total may be "at least": the cap (postgres counts
    # that far) or the word's own document count (tantivy), here every file.
    assert (found["total"], found["total_is_lower_bound"]) in [
        (BULK_FILES, False),
        (BULK_FILES, True),
        (1000, True),
    ]
    assert [
        hit["slug"] for hit in client.get(f"/api/v1/search?q={_spelled(1107)}").json["results"]
    ] == ["section-1-guide-1107"]


@pytest.mark.slow
def test_bulk_import_reports_bad_files_by_name_and_imports_the_rest(app, tmp_path):
    """Bad files in a later batch cost only themselves; re-import leaves everything alone."""
    from portal.models import IndexTask

    _write_many(tmp_path, BULK_FILES)
    bad = {
        "section-2/broken-yaml.md": "---\ntitle: [unclosed\n---\nbody",
        "section-5/bad-status.md": "---\nslug: bad-status\ntitle: T\nstatus: gone\n---\nb",
    }
    write_files(tmp_path, bad)
    (tmp_path / "section-6" / "latin-1.md").write_bytes("# Caf\xe9\n".encode("latin-1"))
    runner = app.test_cli_runner()
    first = runner.invoke(args=["kb", "import", "--plain-markdown", str(tmp_path)])
    assert first.exit_code == 1
    assert f"{BULK_FILES} new, 0 updated, 0 unchanged, 0 skipped, 3 errors" in first.output
    assert "error: section-2/broken-yaml.md: unreadable front matter" in first.output
    assert "error: section-5/bad-status.md: " in first.output  # the editor's message
    assert "error: section-6/latin-1.md: 'utf-8' codec can't decode" in first.output
    assert count_rows(Article) == BULK_FILES

    updated_at = db.session.scalar(select(func.max(Article.updated_at)))
    again = runner.invoke(args=["kb", "import", "--plain-markdown", str(tmp_path)])
    assert f"0 new, 0 updated, {BULK_FILES} unchanged, 0 skipped, 3 errors" in again.output
    assert (count_rows(Article), count_rows(ArticleRevision), count_rows(IndexTask)) == (
        BULK_FILES,
        BULK_FILES,
        0,
    )
    assert db.session.scalar(select(func.max(Article.updated_at))) == updated_at


def test_bulk_reimport_of_a_changed_file_adds_the_next_revision(app, client, tmp_path):
    """A file changed since its import makes revision 2; an unchanged file makes none."""
    _write_many(tmp_path, 3)
    import_directory_plain = import_directory_with(allow_plain=True)
    import_directory_plain(tmp_path)
    write_files(tmp_path, {"section-1/guide 0001.md": "# Widget guide 1\n\nNow gizmo.\n"})
    report = import_directory_plain(tmp_path)
    assert (report.created, report.updated, report.unchanged) == (0, 1, 2)
    numbers = [revision.number for revision in article_by_slug("section-1-guide-0001").revisions]
    assert numbers == [2, 1]
    assert _search_total(client, "gizmo") == 1
