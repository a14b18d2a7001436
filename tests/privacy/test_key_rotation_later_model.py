"""A model added later with an encrypted field (and an encrypted file) is rotated and
counted without touching the commands: both walk privacy.registry, like export and
erasure do."""

import io

import pytest
from cryptography.fernet import Fernet
from django.apps import apps
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command
from django.db import connection, models

from privacy.fields import EncryptedTextField
from privacy.registry import encrypted_file_stores, models_not_covered, models_with_encrypted_fields
from privacy.storage import EncryptedFileSystemStorage

OLD = Fernet.generate_key().decode()
NEW = Fernet.generate_key().decode()


@pytest.fixture
def attachment_model(transactional_db, settings, tmp_path):
    """An "attachments" model, defined the way a later issue would add one."""
    settings.MEDIA_ROOT = tmp_path / "media"

    class LaterAttachment(models.Model):
        caption = EncryptedTextField(blank=True)
        file = models.FileField(storage=EncryptedFileSystemStorage(folder="later-attachments"))

        class Meta:
            app_label = "privacy"

        def __str__(self) -> str:
            return f"attachment {self.pk}"

    with connection.schema_editor() as editor:
        editor.create_model(LaterAttachment)
    yield LaterAttachment
    with connection.schema_editor() as editor:
        editor.delete_model(LaterAttachment)
    del apps.all_models["privacy"]["laterattachment"]
    apps.clear_cache()


def test_a_later_model_and_its_file_store_are_rotated_and_counted(attachment_model, settings):
    settings.FIELD_ENCRYPTION_KEY = [OLD]
    attachment = attachment_model(caption="Foto vom Paket")
    attachment.file.save("paket.jpg", ContentFile(b"JPEG bytes"), save=True)

    # found by the same registry that export and erasure use (a provider is now missing)
    assert attachment_model in models_with_encrypted_fields()
    assert attachment_model in models_not_covered()
    assert "privacy.LaterAttachment.file" in [store.name for store in encrypted_file_stores()]

    settings.FIELD_ENCRYPTION_KEY = [NEW, OLD]
    with pytest.raises(CommandError) as left:
        call_command("encryption_status", stdout=io.StringIO())
    assert "privacy.LaterAttachment.caption: 1 under key 1" in str(left.value)
    assert "privacy.LaterAttachment.file: 1 under key 1" in str(left.value)

    call_command("rotate_encryption_keys", stdout=io.StringIO())
    settings.FIELD_ENCRYPTION_KEY = [NEW]

    call_command("encryption_status", stdout=io.StringIO())  # exit 0
    stored = attachment_model.objects.get(pk=attachment.pk)
    assert stored.caption == "Foto vom Paket"
    assert stored.file.open("rb").read() == b"JPEG bytes"
