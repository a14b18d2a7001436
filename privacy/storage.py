"""File storage that encrypts at rest, with the same keys as the encrypted fields."""

from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from django.utils.deconstruct import deconstructible
from encrypted_model_fields import fields as library_fields

from privacy.crypto import ciphertext_decrypt_bytes


@deconstructible
class EncryptedFileSystemStorage(FileSystemStorage):
    """Files under MEDIA_ROOT/<folder>, each one Fernet token; opened files are decrypted.

    A model FileField on this storage is found by privacy.registry.encrypted_file_stores(),
    so `rotate_encryption_keys` and `encryption_status` cover its files without being told.
    Opening a file no configured key decrypts raises EncryptionKeyError.
    """

    def __init__(self, folder: str = "private") -> None:
        self.folder = folder
        super().__init__()

    @property
    def base_location(self):
        return f"{settings.MEDIA_ROOT}/{self.folder}"

    @property
    def location(self):
        return self.base_location

    @property
    def base_url(self):
        return None  # never served as static media: only through a view that checks access

    def _save(self, name, content):
        content.seek(0)
        encrypted = library_fields.CRYPTER.encrypt(content.read())
        return super()._save(name, ContentFile(encrypted))

    def _open(self, name, mode="rb"):
        with super()._open(name, "rb") as stored:
            return ContentFile(ciphertext_decrypt_bytes(stored.read()), name=name)

    def url(self, name):
        # Widgets must link to an audited download view instead (privacy.admin's
        # EncryptedFileInput does): a public URL would bypass the access check.
        raise ValueError("Encrypted files have no public URL.")

    def root(self) -> Path:
        return Path(self.location)

    def deconstruct(self):
        return ("privacy.storage.EncryptedFileSystemStorage", (), {"folder": self.folder})
