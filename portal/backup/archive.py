"""The archive format: a tar.gz with the database dump, the upload files and manifest.json.

Writing hashes every member as it is added (each file is read once); reading extracts into a
staging directory and checks every member against the manifest before anything is used."""

import hashlib
import io
import json
import os
import re
import tarfile
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

FORMAT_VERSION = 1
MANIFEST_NAME = "manifest.json"
DATABASE_DIR = "database"
UPLOADS_DIR = "uploads"
CHUNK_SIZE = 1024 * 1024
_UPLOAD_MEMBER = re.compile(r"^uploads/[0-9a-f]{32}$")  # our random stored names only
_MANIFEST_KEYS = (
    "format",
    "created_at",
    "app_version",
    "dialect",
    "alembic_revision",
    "database",
    "counts",
    "tables",
    "uploads",
)


class BackupError(Exception):
    """A backup or restore that cannot go on; the message is shown to the operator."""


@dataclass(frozen=True)
class Digest:
    size: int
    sha256: str


class _HashingReader:
    """A file wrapper that hashes what tarfile reads through it."""

    def __init__(self, raw: BinaryIO):
        self.raw, self.hash, self.size = raw, hashlib.sha256(), 0

    def read(self, n: int = -1) -> bytes:
        data = self.raw.read(n)
        self.hash.update(data)
        self.size += len(data)
        return data


def add_file(tar: tarfile.TarFile, arcname: str, source: BinaryIO) -> Digest:
    """Add an open file under ``arcname``; its size is taken from the open descriptor, so a
    file renamed or deleted meanwhile is still copied whole."""
    info = tarfile.TarInfo(arcname)
    info.size = os.fstat(source.fileno()).st_size
    info.mtime = int(os.fstat(source.fileno()).st_mtime)
    info.mode = 0o600
    reader = _HashingReader(source)
    tar.addfile(info, reader)
    return Digest(reader.size, reader.hash.hexdigest())


def add_manifest(tar: tarfile.TarFile, manifest: dict) -> None:
    data = json.dumps(manifest, ensure_ascii=False, indent=2).encode("utf-8")
    info = tarfile.TarInfo(MANIFEST_NAME)
    info.size, info.mode = len(data), 0o600
    info.mtime = int(time.time())
    tar.addfile(info, io.BytesIO(data))


def _is_expected(name: str, dump_name: str) -> bool:
    return name in (MANIFEST_NAME, f"{DATABASE_DIR}/{dump_name}") or bool(
        _UPLOAD_MEMBER.match(name)
    )


def extract(
    archive: Path,
    staging: Path,
    dump_names: tuple[str, ...],
    progress: Callable[[int], None] | None = None,
) -> tuple[dict, dict[str, Digest]]:
    """Extract ``archive`` into ``staging``, hashing every member; return the manifest and
    the digests. Only regular files with the names we write are accepted (no links, no
    paths outside ``staging``). A damaged or truncated archive raises BackupError."""
    digests: dict[str, Digest] = {}
    manifest_bytes = None
    try:
        with tarfile.open(archive, "r:gz") as tar:
            for member in tar:
                if not member.isreg() or not any(_is_expected(member.name, d) for d in dump_names):
                    raise BackupError(
                        f"Unexpected entry {member.name!r} in {archive}: "
                        "this is not a portal backup."
                    )
                source = tar.extractfile(member)
                if member.name == MANIFEST_NAME:
                    manifest_bytes = source.read(member.size)
                    continue
                target = staging / member.name
                target.parent.mkdir(parents=True, exist_ok=True)
                digests[member.name] = _copy_hashing(source, target)
                if progress and member.name.startswith(UPLOADS_DIR + "/"):
                    progress(1)
            # tarfile stops quietly at a damaged header: what follows the last entry must be
            # zero padding. Reading it to the end also makes gzip check its CRC and length.
            while chunk := tar.fileobj.read(CHUNK_SIZE):
                if chunk.strip(b"\0"):
                    raise tarfile.ReadError("unreadable data after the last entry")
    except (tarfile.TarError, EOFError, zlib.error, OSError) as error:
        raise BackupError(f"{archive} is damaged: corrupt or truncated ({error}).") from None
    if manifest_bytes is None:
        raise BackupError(f"{archive} has no {MANIFEST_NAME}: not a portal backup.")
    return parse_manifest(manifest_bytes), digests


def _copy_hashing(source: BinaryIO, target: Path) -> Digest:
    digest, size = hashlib.sha256(), 0
    with os.fdopen(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as out:
        while chunk := source.read(CHUNK_SIZE):
            digest.update(chunk)
            size += len(chunk)
            out.write(chunk)
    return Digest(size, digest.hexdigest())


def parse_manifest(data: bytes) -> dict:
    try:
        manifest = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise BackupError(f"The manifest is not valid JSON ({error}).") from None
    missing = [
        key for key in _MANIFEST_KEYS if not isinstance(manifest, dict) or key not in manifest
    ]
    if missing:
        raise BackupError(f"The manifest lacks {', '.join(missing)}.")
    if manifest["format"] != FORMAT_VERSION:
        raise BackupError(
            f"Backup format {manifest['format']!r} is not supported "
            f"(this version reads format {FORMAT_VERSION})."
        )
    return manifest


def verify(manifest: dict, digests: dict[str, Digest]) -> None:
    """Every file the manifest lists is present with its size and sha256, and nothing else."""
    expected = {
        f"{UPLOADS_DIR}/{item['name']}": Digest(item["size"], item["sha256"])
        for item in manifest["uploads"]
    }
    database = manifest["database"]
    expected[f"{DATABASE_DIR}/{database['file']}"] = Digest(database["size"], database["sha256"])
    problems = []
    for name, want in sorted(expected.items()):
        got = digests.get(name)
        if got is None:
            problems.append(f"{name} is missing")
        elif got != want:
            problems.append(
                f"{name} does not match its checksum ({got.size} bytes, expected {want.size})"
            )
    problems += [f"{name} is not in the manifest" for name in sorted(set(digests) - set(expected))]
    if problems:
        raise BackupError(
            "The archive is damaged: "
            + "; ".join(problems[:5])
            + (f" (and {len(problems) - 5} more)" if len(problems) > 5 else "")
            + "."
        )
