"""Attachments: the limits (settings), type checks, storing encrypted, deleting files.

A model usable by every channel (email_channel.models.Attachment): e-mail stores
through `attachment_store` now; the web chat's upload can call the same later.
"""

import logging
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction

from bot.models import Message
from email_channel.models import Attachment

logger = logging.getLogger(__name__)

# Leading bytes of the binary types Supportdesk accepts: a file declared as one of them
# must start with its signature (a ".pdf" that is an executable is refused).
_SIGNATURES = {
    "application/pdf": (b"%PDF-",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/gif": (b"GIF87a", b"GIF89a"),
    "image/webp": (b"RIFF",),
    # Office Open XML and OpenDocument files are ZIP archives.
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": (b"PK\x03\x04",),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": (b"PK\x03\x04",),
    "application/vnd.oasis.opendocument.text": (b"PK\x03\x04",),
    "application/vnd.oasis.opendocument.spreadsheet": (b"PK\x03\x04",),
}
_TEXT_TYPES = {"text/plain", "text/csv"}


# The registered top-level media types (RFC 6838): all a refused file's record keeps of a
# type Supportdesk does not accept, whose subtype the sender's mail client chose freely.
_TOP_LEVEL_TYPES = {
    "application",
    "audio",
    "font",
    "image",
    "message",
    "model",
    "multipart",
    "text",
    "video",
}


def refused_type_recorded(content_type: str) -> str:
    """What a refused file's record keeps of its declared type: an accepted type whole (a
    file refused for its size or a wrong signature), else its top-level type only, since
    `application/x-<anything>` may carry a name or an invoice number."""
    content_type = content_type.lower()
    if content_type in settings.ATTACHMENT_CONTENT_TYPES:
        return content_type
    top_level = content_type.split("/", 1)[0]
    return top_level if top_level in _TOP_LEVEL_TYPES else "unknown"


@dataclass(frozen=True)
class Refusal:
    reason: str  # "too_large", "type_not_allowed", "type_mismatch", "too_many"
    content_type: str
    size: int

    def as_dict(self) -> dict:
        return {
            "reason": self.reason,
            "content_type": refused_type_recorded(self.content_type),
            "size": self.size,
        }


def attachment_refusal(*, content_type: str, payload: bytes) -> str | None:
    """Why a file is refused by the limits, or None: size, allowed type, and that a
    binary file really is of its declared type."""
    if len(payload) > settings.ATTACHMENT_MAX_BYTES:
        return "too_large"
    content_type = content_type.lower()
    if content_type not in settings.ATTACHMENT_CONTENT_TYPES:
        return "type_not_allowed"
    signatures = _SIGNATURES.get(content_type)
    if signatures is not None and not payload.startswith(signatures):
        return "type_mismatch"
    if content_type in _TEXT_TYPES:
        try:
            payload.decode("utf-8")
        except UnicodeDecodeError:
            try:
                payload.decode("latin-1")
            except UnicodeDecodeError:
                return "type_mismatch"
        if b"\x00" in payload:
            return "type_mismatch"
    return None


def attachments_store(
    *, message: Message, files: list[tuple[str, str, bytes]]
) -> tuple[list[Attachment], list[Refusal]]:
    """Store (file name, content type, bytes) as the message's attachments, within the
    limits; returns what was stored and what was refused (without names)."""
    stored, refused = [], []
    for position, (filename, content_type, payload) in enumerate(files):
        if position >= settings.ATTACHMENT_MAX_COUNT:
            refused.append(Refusal("too_many", content_type, len(payload)))
            continue
        reason = attachment_refusal(content_type=content_type, payload=payload)
        if reason is not None:
            refused.append(Refusal(reason, content_type, len(payload)))
            continue
        attachment = Attachment(
            message=message,
            filename=filename,
            content_type=content_type.lower(),
            size=len(payload),
        )
        # Written (encrypted) now: should the transaction be undone, the file has no row
        # and attachment_orphans_delete (housekeeping) removes it.
        attachment.file.save("upload", ContentFile(payload), save=False)
        attachment.save()
        stored.append(attachment)
    return stored, refused


def attachment_file_delete(attachment: Attachment) -> None:
    """After commit: the encrypted file of a deleted attachment row goes too."""
    storage, name = attachment.file.storage, attachment.file.name
    if not name:
        return

    def delete() -> None:
        try:
            storage.delete(name)
        except OSError:
            logger.exception("Could not delete the file of attachment %s", attachment.pk)

    transaction.on_commit(delete)


def attachment_orphans_delete(*, older_than_seconds: int = 3600) -> int:
    """Files in the attachment store without a row (a transaction undone after the file
    was written, a crash before the delete after commit): deleted once they are older
    than `older_than_seconds`, so a file being stored right now is left alone."""
    storage = Attachment._meta.get_field("file").storage
    root = storage.root()
    if not root.exists():
        return 0
    cutoff = time.time() - older_than_seconds
    known = set(Attachment.objects.values_list("file", flat=True))
    deleted = 0
    for path in root.rglob("*"):
        if not path.is_file() or path.stat().st_mtime > cutoff:
            continue
        if path.relative_to(root).as_posix() not in known:
            path.unlink(missing_ok=True)
            deleted += 1
    return deleted
