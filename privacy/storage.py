"""File storage that encrypts at rest, with the same keys as the encrypted fields."""

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from django.utils.deconstruct import deconstructible
from encrypted_model_fields import fields as library_fields


@deconstructible
class EncryptedFileSystemStorage(FileSystemStorage):
    """Files under MEDIA_ROOT/<folder>, Fernet-encrypted; opened files are decrypted.

    Key rotation: `rotate_encryption_keys` covers database columns; re-saving a file
    re-encrypts it with the newest key.
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
            return ContentFile(library_fields.CRYPTER.decrypt(stored.read()), name=name)

    def url(self, name):
        raise ValueError("Encrypted files have no public URL.")

    def deconstruct(self):
        return ("privacy.storage.EncryptedFileSystemStorage", (), {"folder": self.folder})
