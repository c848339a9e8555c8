"""Reading knowledge-base Markdown files: YAML front matter, or (for plain Markdown) the
title, slug and language a file's heading, path and script suggest."""

import functools
import re
from pathlib import Path

import yaml

from portal.editor.slugs import slugify
from search.analyzer import fold
from search.han import HAN_BLOCKS, HAN_RUN

TITLE_MAX = 200
# The same safe loader, with libyaml's parser when PyYAML has it (about 8x faster).
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# Front matter: a first line of exactly "---", then YAML up to the next such line.
_FRONT_MATTER_RE = re.compile(r"---[ \t]*\r?\n(.*?)^---[ \t]*$\r?\n?", re.DOTALL | re.MULTILINE)


class FrontMatterError(ValueError):
    pass


def markdown_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.rglob("*.md") if not p.name.startswith("_"))


def parse_markdown_file(text: str) -> tuple[dict, str]:
    """Split '---' YAML front matter from the Markdown body."""
    if text.startswith("\ufeff"):
        text = text[1:]
    if not text.startswith("---"):
        raise FrontMatterError("no front matter (the file must start with ---)")
    match = _FRONT_MATTER_RE.match(text)
    if match is None:
        raise FrontMatterError("front matter is not closed (a line with only --- ends it)")
    try:
        meta = yaml.load(match.group(1), Loader=_YAML_LOADER) or {}  # noqa: S506 (a SafeLoader)
    except yaml.YAMLError as error:
        raise FrontMatterError(f"unreadable front matter: {error}") from None
    body = text[match.end() :]
    if not isinstance(meta, dict):
        raise FrontMatterError("front matter must be a mapping")
    return meta, body.strip() + "\n"


def has_front_matter(text: str) -> bool:
    return text.removeprefix("\ufeff").startswith("---")


def path_slug(relative: Path) -> str:
    """An ASCII slug for a file path: Chinese becomes pinyin, folders join with hyphens."""
    return slugify(str(relative.with_suffix(""))) or "article"


@functools.cache
def _traditional_re() -> re.Pattern:
    """The CJK characters that fold() changes, i.e. traditional forms and variants."""
    block = "".join(chr(code) for start, end in HAN_BLOCKS for code in range(start, end + 1))
    changed = "".join(c for c, f in zip(block, fold(block), strict=True) if c != f)
    return re.compile(f"[{re.escape(changed)}]")


def guess_language(text: str) -> str:
    """en without Chinese characters; zh-TW when many of them are traditional; else zh-CN."""
    chinese = sum(map(len, HAN_RUN.findall(text)))
    if not chinese:
        return "en"
    traditional = len(_traditional_re().findall(text))
    return "zh-TW" if traditional * 10 >= chinese else "zh-CN"


def _split_title(text: str) -> tuple[str | None, str]:
    """The first level-1 ATX heading outside code fences, and the text without it."""
    lines = text.splitlines()
    in_fence = False
    for number, line in enumerate(lines):
        if line.lstrip().startswith(("```", "~~~")):
            in_fence = not in_fence
        elif not in_fence and line.startswith("# "):
            title = line[2:].strip().rstrip("#").strip()
            if title:
                return title, "\n".join(lines[:number] + lines[number + 1 :])
    return None, text


def parse_plain_markdown(relative: Path, text: str) -> tuple[dict, str]:
    """Metadata for a Markdown file without front matter: its first '# ' heading (else the
    file name) as title, a slug from its path, published, no category."""
    title, body = _split_title(text.removeprefix("\ufeff"))
    meta = {
        "title": (title or relative.stem)[:TITLE_MAX],
        "slug": path_slug(relative),
        "language": guess_language(text),
        "status": "published",
    }
    return meta, body.strip() + "\n"
