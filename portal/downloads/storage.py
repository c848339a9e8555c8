"""Files on disk: safe names, the type allow-list, magic bytes, and atomic streamed saves.

Nothing here imports Flask: the upload directory and limits are passed in."""

import hashlib
import logging
import os
import re
import secrets
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO
from urllib.parse import quote

from flask_babel import lazy_gettext as _l

logger = logging.getLogger(__name__)

# The Content-Type we send for each extension: decided here, never taken from the client.
CONTENT_TYPES = {
    "pdf": "application/pdf",
    "zip": "application/zip",
    "7z": "application/x-7z-compressed",
    "tar.gz": "application/gzip",
    "dmg": "application/x-apple-diskimage",
    "exe": "application/vnd.microsoft.portable-executable",
    "msi": "application/x-msi",
    "apk": "application/vnd.android.package-archive",
    "deb": "application/vnd.debian.binary-package",
    "rpm": "application/x-rpm",
    "txt": "text/plain; charset=utf-8",
    "md": "text/markdown; charset=utf-8",
    "png": "image/png",
    "jpg": "image/jpeg",
}

# How a file of each type must begin (types without a fixed signature are not checked).
MAGIC_BYTES = {
    "pdf": (b"%PDF-",),
    "zip": (b"PK\x03\x04", b"PK\x05\x06"),
    "apk": (b"PK\x03\x04",),
    "7z": (b"7z\xbc\xaf\x27\x1c",),
    "tar.gz": (b"\x1f\x8b",),
    "png": (b"\x89PNG\r\n\x1a\n",),
    "jpg": (b"\xff\xd8\xff",),
    "exe": (b"MZ",),
    "msi": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",),
    "deb": (b"!<arch>\n",),
    "rpm": (b"\xed\xab\xee\xdb",),
}

MAX_NAME_LENGTH = 120
CHUNK_SIZE = 64 * 1024
_STORED_NAME = re.compile(r"^[0-9a-f]{32}$")
_UNSAFE_CHARS = re.compile(r'[\\/:*?"<>|]')
# Device names Windows refuses as file names, with or without an extension.
_RESERVED_NAMES = {
    "con",
    "prn",
    "aux",
    "nul",
    *(f"com{i}" for i in range(10)),
    *(f"lpt{i}" for i in range(10)),
}


class UploadError(ValueError):
    """An upload that cannot be accepted; the message is shown to the editor."""

    def __init__(self, message, status: int = 400):
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class StoredFile:
    stored_name: str
    size: int
    sha256: str


def sanitize_filename(name: str, fallback: str = "download") -> str:
    """A file name safe to show and to send in Content-Disposition: CJK and other letters
    stay; path parts, control characters, Windows-unsafe characters, leading dots and
    reserved device names go; the length is capped, keeping the extension."""
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]  # the last path part only
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")  # control, format
    name = _UNSAFE_CHARS.sub("_", name)
    name = " ".join(name.split()).strip(" .")  # no leading dots (hidden, "..") or trailing
    if name.partition(".")[0].lower() in _RESERVED_NAMES:
        name = f"_{name}"
    if len(name) > MAX_NAME_LENGTH:
        suffix = _suffix(name)
        name = name[: MAX_NAME_LENGTH - len(suffix)].rstrip(" .") + suffix
    return name or fallback


def _suffix(name: str) -> str:
    """The extension to keep when a long name is cut: .tar.gz, else the last one (short)."""
    if name.lower().endswith(".tar.gz"):
        return name[-7:]
    stem, dot, last = name.rpartition(".")
    return "." + last if stem and dot and len(last) <= 10 else ""


def allowed_extension(name: str, allowed: tuple[str, ...]) -> str | None:
    """The allow-listed extension ``name`` ends with (the longest, so tar.gz beats gz)."""
    lowered = name.lower()
    matches = [ext for ext in allowed if ext in CONTENT_TYPES and lowered.endswith("." + ext)]
    return max(matches, key=len) if matches else None


def content_disposition(name: str) -> str:
    """attachment with an ASCII fallback and the RFC 5987 UTF-8 name (for Chinese names)."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    ascii_name = re.sub(r"[^A-Za-z0-9._-]+", "_", ascii_name).strip("._")
    suffix = _suffix(name)
    if suffix and ascii_name.lower() in ("", suffix[1:].lower()):  # nothing left but the type
        ascii_name = "download" + re.sub(r"[^A-Za-z0-9.]+", "", suffix)
    ascii_name = sanitize_filename(ascii_name)
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"


def stored_path(upload_dir: str, stored_name: str) -> Path:
    """Where a stored file lives; refuses anything but our own random names."""
    if not _STORED_NAME.match(stored_name or ""):
        raise ValueError(f"not a stored file name: {stored_name!r}")
    return Path(upload_dir) / stored_name


def save_stream(stream: BinaryIO, upload_dir: str, extension: str, max_bytes: int) -> StoredFile:
    """Copy ``stream`` into ``upload_dir`` under a random name, hashing as it goes.

    The bytes go to a temporary file first and are renamed into place only when complete
    and valid, so an interrupted or refused upload never leaves a half file."""
    directory = Path(upload_dir)
    directory.mkdir(parents=True, exist_ok=True)
    fd, temp_name = tempfile.mkstemp(dir=directory, prefix=".upload-", suffix=".part")
    digest, size = hashlib.sha256(), 0
    try:
        with os.fdopen(fd, "wb") as out:
            while chunk := stream.read(CHUNK_SIZE):
                if size == 0:
                    check_magic_bytes(chunk, extension)
                size += len(chunk)
                if size > max_bytes:
                    raise UploadError(too_large_message(max_bytes), status=413)
                digest.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        if size == 0:
            raise UploadError(_l("The file is empty."))
        stored_name = secrets.token_hex(16)
        Path(temp_name).replace(directory / stored_name)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
    return StoredFile(stored_name=stored_name, size=size, sha256=digest.hexdigest())


def check_magic_bytes(head: bytes, extension: str) -> None:
    """Refuse a file whose first bytes do not match its extension (a renamed file)."""
    signatures = MAGIC_BYTES.get(extension)
    if signatures and not head.startswith(signatures):
        raise UploadError(_l("The file content does not look like a .%(ext)s file.", ext=extension))


def too_large_message(max_bytes: int):
    """The message for an upload over the limit, naming the limit."""
    return _l("The file is too large: the limit is %(size)s.", size=human_size(max_bytes))


def remove_stored(upload_dir: str, stored_name: str) -> None:
    """Delete a stored file; a missing file is only logged (the row is what matters)."""
    try:
        stored_path(upload_dir, stored_name).unlink()
    except FileNotFoundError:
        logger.warning("stored download %s was already gone", stored_name)


def human_size(size: int) -> str:
    """1536 -> '1.5 KB' (binary units, one decimal above bytes)."""
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GB"
