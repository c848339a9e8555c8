"""A public labelled question set for bench/relevance.py, written by real users, not by us.

Source: the question-matching sets redistributed in the CSTS collection,
https://github.com/zejunwang1/CSTS (commit 2e7eeedf505c78bf39d34f836773081cfc98af0c):
  oppo-xiaobu  The default. OPPO Xiaobu dialogue short-text matching set (Tianchi 2021): real
               users' utterances to OPPO's assistant (chit-chat, customer service, media,
               information look-ups), de-identified, every label checked by hand; short,
               colloquial, with look-alike pairs of different meaning. OPPO-xiaobu/dev.txt:
               10,000 pairs, 3,037 positive.
  lcqmc        LCQMC (Liu et al., COLING 2018, Harbin Institute of Technology): Baidu Zhidao
               questions paired by people as same / different intent; LCQMC/dev.txt and
               LCQMC/test.txt: 21,302 pairs, 10,652 positive. More FAQ-like in wording, but
               the paraphrases share most of their words, so every system scores ~0.9 MRR
               here and the set separates engines far less than oppo-xiaobu does.
Licence: CSTS states its data is for academic research only, not for commercial use; LCQMC
itself is handed out for research under an agreement and the OPPO set under Tianchi's
competition terms. Redistribution is not granted, so no data is committed here: the set is
built at run time from a local copy of CSTS, a clone in bench/.cache/CSTS or the path given
with --public-source (a checkout or a bare git directory, e.g. a mirror); without one a
clear instruction is printed.

The sample (deterministic: fixed seed, files read in order, blob ids checked):
  * text is compared after NFKC, lower-casing and dropping everything but letters, digits
    and CJK characters; a pair whose two sides are then equal is dropped;
  * the positive pairs are shuffled; each taken pair gives a document (its first question)
    and a query (its second). A pair is skipped when its document is already taken or is a
    paraphrase of an earlier query, or its query is already a document or a query or has a
    paraphrase among the documents: every query then has exactly one relevant document;
  * the other documents are distinct questions drawn at random from all pairs (so a query's
    labelled near-misses can appear), never a query or a known paraphrase of one. Unlabelled
    paraphrases cannot be ruled out and count against every system alike;
  * documents are shuffled and written as q00001.md ... (a "# question" heading and the
    question as body; the importer's slug is the file name), queries to queries.yaml with
    kind "short" (at most the set's short_max characters as compared, about its median
    query length: 6 for oppo-xiaobu, 10 for lcqmc) or "long".
The defaults take 10,000 documents and 1,000 queries. The result is cached in
bench/.cache/public-<name>/ and rebuilt when the parameters in _manifest.json change."""

import hashlib
import json
import random
import subprocess
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "bench" / ".cache"
REPOSITORY = "https://github.com/zejunwang1/CSTS"
# Where a copy of CSTS is looked for: a clone beside the cache, then the bare mirror that the
# development machine keeps of fetched repositories.
LOCATIONS = (CACHE / "CSTS", Path("/work/.mirror/zejunwang1+CSTS/repo"))
SEED = 20240607
DOCUMENTS = 10_000
QUERIES = 1_000
KINDS = ("short", "long")
SAMPLER = 1  # bump when the sampling changes, so cached sets are rebuilt
QUERY_FILE = "queries.yaml"
MANIFEST = "_manifest.json"


@dataclass(frozen=True)
class Source:
    """One labelled set inside CSTS: tab-separated question, question, 1/0 label."""

    files: tuple[str, ...]
    blobs: tuple[str, ...]  # git blob ids at the documented commit
    short_max: int  # a query of at most this many characters (as compared) is "short"


SOURCES = {
    "oppo-xiaobu": Source(
        ("OPPO-xiaobu/dev.txt",), ("58141bf864c9cfd95435def81b99dd049cb79012",), 6
    ),
    "lcqmc": Source(
        ("LCQMC/dev.txt", "LCQMC/test.txt"),
        ("049a28c0be419d0098a72967bded9b2fdc6478d8", "b1bd0a0311c802db6cc556c1f69b6847d13a17d4"),
        10,
    ),
}
DEFAULT_SOURCE = "oppo-xiaobu"


class PublicSetUnavailable(RuntimeError):
    """No local copy of the source data: the message says how to get one."""


@dataclass(frozen=True)
class Pair:
    first: str
    second: str
    same: bool


@dataclass
class Sample:
    """Documents in file order (index i is file q{i+1:05d}.md) and (query, document index,
    kind) triples."""

    documents: list[str] = field(default_factory=list)
    queries: list[tuple[str, int, str]] = field(default_factory=list)


def normalise(text: str) -> str:
    """What two questions are compared on: NFKC, lower case, letters/digits/CJK only."""
    return "".join(char for char in unicodedata.normalize("NFKC", text).lower() if char.isalnum())


def query_kind(text: str, short_max: int) -> str:
    return "short" if len(normalise(text)) <= short_max else "long"


def document_name(index: int) -> str:
    return f"q{index + 1:05d}.md"


def parse_pairs(text: str) -> list[Pair]:
    """Pairs from question<TAB>question<TAB>label lines; other lines are skipped."""
    pairs = []
    for line in text.splitlines():
        cells = line.split("\t")
        if len(cells) == 3 and cells[2].strip() in ("0", "1"):
            pairs.append(Pair(cells[0].strip(), cells[1].strip(), cells[2].strip() == "1"))
    return pairs


def sample(
    pairs: Sequence[Pair],
    documents: int = DOCUMENTS,
    queries: int = QUERIES,
    seed: int = SEED,
    short_max: int = 10,
) -> Sample:
    """Draw the documents and labelled queries described in the module docstring (fewer
    when the pairs do not hold enough)."""
    rng = random.Random(seed)
    original: dict[str, str] = {}  # normalised text -> its first spelling in the files
    paraphrases: dict[str, set[str]] = defaultdict(set)
    positives: dict[tuple[str, str], None] = {}  # ordered and de-duplicated
    for pair in pairs:
        first, second = normalise(pair.first), normalise(pair.second)
        for key, text in ((first, pair.first), (second, pair.second)):
            if key:
                original.setdefault(key, text)
        if pair.same and first and second and first != second:
            paraphrases[first].add(second)
            paraphrases[second].add(first)
            positives[first, second] = None
    candidates = list(positives)
    rng.shuffle(candidates)
    targets: dict[str, str] = {}  # document -> its query
    reserved: set[str] = set()  # never a document: the queries and their paraphrases
    for document, query in candidates:
        if len(targets) >= min(queries, documents):
            break
        if (
            document in targets
            or document in reserved
            or query in targets
            or query in reserved
            or paraphrases[query] & targets.keys()
        ):
            continue
        targets[document] = query
        reserved |= {query, *paraphrases[query]}
    pool = [key for key in original if key not in targets and key not in reserved]
    distractors = rng.sample(pool, min(len(pool), max(documents - len(targets), 0)))
    chosen = [*targets, *distractors]
    rng.shuffle(chosen)
    index = {key: i for i, key in enumerate(chosen)}
    return Sample(
        [original[key] for key in chosen],
        [
            (original[query], index[document], query_kind(original[query], short_max))
            for document, query in targets.items()
        ],
    )


def blob_id(data: bytes) -> str:
    """The git blob id of ``data``, to tell whether a file is the documented version."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


def _read(location: Path, name: str) -> bytes | None:
    if (location / name).is_file():
        return (location / name).read_bytes()
    git_dir = location if (location / "HEAD").is_file() else location / ".git"
    if not (git_dir / "HEAD").is_file():
        return None
    shown = subprocess.run(
        ["git", f"--git-dir={git_dir}", "show", f"HEAD:{name}"], capture_output=True, check=False
    )
    return shown.stdout if shown.returncode == 0 else None


def read_source(name: str, location: Path | None = None) -> tuple[list[Pair], list[str]]:
    """The pairs of set ``name`` and the blob ids of its files, from the first copy of CSTS
    found; PublicSetUnavailable (with instructions) when there is none."""
    source = SOURCES[name]
    for place in [location] if location else LOCATIONS:
        files = [_read(place, file) for file in source.files]
        if all(data is not None for data in files):
            blobs = [blob_id(data) for data in files]
            if tuple(blobs) != source.blobs:
                print(
                    f"warning: {place} holds other versions of {', '.join(source.files)} "
                    "than the documented ones: the sample will differ"
                )
            pairs = [p for data in files for p in parse_pairs(data.decode("utf-8"))]
            return pairs, blobs
    tried = ", ".join(str(p) for p in ([location] if location else LOCATIONS))
    raise PublicSetUnavailable(
        f"the public set {name!r} needs {', '.join(source.files)} from {REPOSITORY} "
        f"(research use only, so not shipped here); none found in {tried}. "
        f"Get it with `git clone {REPOSITORY} {CACHE / 'CSTS'}` or pass --public-source DIR."
    )


def _yaml_lines(queries: Iterable[tuple[str, int, str]], header: str) -> str:
    dump = dict(allow_unicode=True, default_flow_style=True, width=10_000, sort_keys=False)
    lines = [f"# {line}" if line else "#" for line in header.splitlines()]
    for text, document, kind in queries:
        entry = {"q": text, "relevant": [Path(document_name(document)).stem], "kind": kind}
        lines.append("- " + yaml.safe_dump(entry, **dump).strip())
    return "\n".join(lines) + "\n"


def write_sample(result: Sample, directory: Path, header: str = "") -> Path:
    """Write the documents and the query file into ``directory`` (old q*.md files are
    removed first); returns the query file."""
    directory.mkdir(parents=True, exist_ok=True)
    for old in directory.glob("q*.md"):
        old.unlink()
    for i, question in enumerate(result.documents):
        (directory / document_name(i)).write_text(f"# {question}\n\n{question}\n", encoding="utf-8")
    query_file = directory / QUERY_FILE
    query_file.write_text(_yaml_lines(result.queries, header), encoding="utf-8")
    return query_file


def prepare(
    name: str = DEFAULT_SOURCE,
    location: Path | None = None,
    directory: Path | None = None,
    documents: int = DOCUMENTS,
    queries: int = QUERIES,
    seed: int = SEED,
) -> tuple[Path, Path]:
    """The corpus directory and query file of public set ``name``, sampled on first use."""
    directory = directory or CACHE / f"public-{name}"
    short_max = SOURCES[name].short_max
    wanted = {
        "set": name,
        "seed": seed,
        "documents": documents,
        "queries": queries,
        "sampler": SAMPLER,
        "short_max": short_max,
    }
    manifest = directory / MANIFEST
    if manifest.is_file() and (directory / QUERY_FILE).is_file():
        cached = json.loads(manifest.read_text(encoding="utf-8"))
        if {key: cached.get(key) for key in wanted} == wanted:
            return directory, directory / QUERY_FILE
    pairs, blobs = read_source(name, location)
    result = sample(pairs, documents, queries, seed, short_max)
    files = ", ".join(SOURCES[name].files)
    header = (
        f"Public set {name!r}: {len(result.queries)} queries over {len(result.documents)} "
        f"documents, sampled by bench/public_set.py (seed {seed}) from {files} of "
        f"{REPOSITORY}.\nResearch use only (see the licence note in bench/public_set.py)."
        f"\nkind: short (at most {short_max} letters/digits/CJK characters) | long."
    )
    query_file = write_sample(result, directory, header)
    manifest.write_text(
        json.dumps(
            {
                **wanted,
                "blobs": blobs,
                "sampled_documents": len(result.documents),
                "sampled_queries": len(result.queries),
            },
            indent=2,
        )
        + "\n",
        encoding="utf-8",
    )
    return directory, query_file
