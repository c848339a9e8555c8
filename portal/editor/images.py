"""Images in articles: an editor uploads or pastes one, it is checked by its first bytes
(never by its name or the browser's word), stored outside static/ under a random name and
served from our own origin, so the page's Content-Security-Policy (img-src 'self') holds."""

import io
import re

from flask_babel import lazy_gettext as _l

from portal.downloads.storage import UploadError, human_size, save_stream
from portal.extensions import db
from portal.models import ArticleImage

MAX_IMAGE_BYTES = 5 * 1024 * 1024
# Content types by the format the first bytes show; SVG is left out (it can carry script).
IMAGE_TYPES = {"png": "image/png", "jpg": "image/jpeg", "gif": "image/gif", "webp": "image/webp"}
EXTENSIONS = {"png": "png", "jpg": "jpg", "jpeg": "jpg", "gif": "gif", "webp": "webp"}
_EXTERNAL_IMAGE = re.compile(r"""<img[^>]+src="(https?:)?//[^"]*\"""", re.IGNORECASE)


def sniff(head: bytes) -> str | None:
    """The image format the first bytes show (png, jpg, gif, webp), else None."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    return None


def save_image(data: bytes, filename: str, upload_dir: str, user_id: int) -> ArticleImage:
    """Check and store an uploaded image; the caller commits. Raises UploadError."""
    if len(data) > MAX_IMAGE_BYTES:
        raise UploadError(
            _l("The image is too large: the limit is %(size)s.", size=human_size(MAX_IMAGE_BYTES)),
            status=413,
        )
    extension = EXTENSIONS.get(filename.rsplit(".", 1)[-1].lower()) if "." in filename else None
    found = sniff(data[:16])
    if found is None or (extension is not None and extension != found):
        raise UploadError(
            _l(
                "Only PNG, JPEG, GIF and WebP images can be added, and the file "
                "must be one (its content is checked)."
            )
        )
    stored = save_stream(io.BytesIO(data), upload_dir, found, MAX_IMAGE_BYTES)
    image = ArticleImage(
        stored_name=stored.stored_name,
        original_name=filename[:255] or "image",
        content_type=IMAGE_TYPES[found],
        size=stored.size,
        sha256=stored.sha256,
        uploaded_by_id=user_id,
    )
    db.session.add(image)
    return image


def alt_text(filename: str) -> str:
    """A starting alt text from the file name (the editor should improve it)."""
    stem = filename.rsplit(".", 1)[0] if "." in filename else filename
    return re.sub(r"[\[\]()\n]+", " ", stem).strip()[:100] or "image"


def external_images(html: str) -> list[str]:
    """Image addresses on other sites in rendered HTML: the page's policy will not load
    them, so the preview warns instead of letting them break silently."""
    return [m.group(0).split('src="', 1)[1].rstrip('"') for m in _EXTERNAL_IMAGE.finditer(html)]
