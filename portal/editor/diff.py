"""A readable diff between two revisions: changed lines, with changed characters marked
inside them (Chinese paragraphs are long lines, so a line-only diff would say little)."""

import difflib
from dataclasses import dataclass, field

CONTEXT_LINES = 2


@dataclass
class Segment:
    text: str
    changed: bool = False


@dataclass
class DiffRow:
    kind: str  # "equal" | "delete" | "insert" | "skip"
    old_no: int | None = None
    new_no: int | None = None
    segments: list[Segment] = field(default_factory=list)


def _char_segments(a: str, b: str) -> tuple[list[Segment], list[Segment]]:
    old, new = [], []
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if a[i1:i2]:
            old.append(Segment(a[i1:i2], tag != "equal"))
        if b[j1:j2]:
            new.append(Segment(b[j1:j2], tag != "equal"))
    return old, new


def diff_text(old_text: str, new_text: str) -> list[DiffRow]:
    """Rows of a unified diff with a little context around each change."""
    old_lines, new_lines = old_text.splitlines(), new_text.splitlines()
    rows: list[DiffRow] = []
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    for group in matcher.get_grouped_opcodes(CONTEXT_LINES):
        if rows:
            rows.append(DiffRow("skip"))
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                rows.extend(
                    DiffRow("equal", i + 1, j + 1, [Segment(old_lines[i])])
                    for i, j in zip(range(i1, i2), range(j1, j2), strict=True)
                )
                continue
            pairs = min(i2 - i1, j2 - j1) if tag == "replace" else 0
            for k in range(pairs):
                old_segments, new_segments = _char_segments(old_lines[i1 + k], new_lines[j1 + k])
                rows.append(DiffRow("delete", i1 + k + 1, None, old_segments))
                rows.append(DiffRow("insert", None, j1 + k + 1, new_segments))
            for i in range(i1 + pairs, i2):
                rows.append(DiffRow("delete", i + 1, None, [Segment(old_lines[i], True)]))
            for j in range(j1 + pairs, j2):
                rows.append(DiffRow("insert", None, j + 1, [Segment(new_lines[j], True)]))
    return rows


def diff_fields(old, new, names: tuple[str, ...]) -> list[tuple[str, str, str]]:
    """(field, old value, new value) for the short fields that differ."""
    return [
        (name, str(getattr(old, name) or ""), str(getattr(new, name) or ""))
        for name in names
        if getattr(old, name) != getattr(new, name)
    ]
