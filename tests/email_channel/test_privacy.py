"""Mails and attachments in the access export, the erasure, retention and key rotation."""

import base64
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from bot.models import Conversation
from email_channel.models import Attachment, MailMessage, MailThread
from privacy.models import DataSubject, RetentionPolicy
from privacy.registry import encrypted_file_stores
from privacy.services import retention_purge, subject_erase, subject_export
from tests.email_channel.mails import PDF_BYTES, mail_bytes
from tests.factories import known_subject
from tests.privacy.test_at_rest import _all_rows_as_text

pytestmark = pytest.mark.django_db

EMAIL = "quirinus@example.net"
SECRET_TEXT = "Meine Lieblingsfarbe ist Ultramarinviolett-7731"
FILE_NAME = "Zwetschgenbaum-Vertrag.pdf"


@pytest.fixture
def mailed(deliver, fetch):
    """Two mails from the address (two conversations, each a claim), one with a file."""
    deliver(
        mail_bytes(
            sender=f"Quirinus Zwetschgenbaum <{EMAIL}>",
            text=SECRET_TEXT,
            attachments=[(FILE_NAME, "application/pdf", PDF_BYTES)],
        ),
        mail_bytes(sender=EMAIL, subject="Zweite Frage", text="Noch etwas."),
    )
    fetch()
    return Conversation.objects.filter(channel="email")


def _attachment_paths() -> list[Path]:
    return [
        Path(attachment.file.storage.root(), attachment.file.name)
        for attachment in Attachment.objects.all()
    ]


def test_the_verified_owner_of_the_address_gets_mails_and_files_in_the_export(mailed):
    owner = known_subject(email=EMAIL)

    data = subject_export(subject=owner, acting_user=None)["data"]["email_channel"]

    texts = " ".join(mail["text"] for mail in data["mails"])
    assert SECRET_TEXT in texts and "Noch etwas." in texts
    assert data["addresses"] == [EMAIL]
    (attachment,) = data["attachments"]
    assert attachment["file_name"] == FILE_NAME
    assert base64.b64decode(attachment["content_base64"]) == PDF_BYTES


def test_an_unverified_claim_to_the_address_gets_only_its_own_conversation(mailed):
    claim = mailed.order_by("created_at").first().subject
    assert not claim.is_verified
    other = DataSubject.objects.create(email=EMAIL, email_index=claim.email_index)

    assert subject_export(subject=other, acting_user=None)["data"]["email_channel"]["mails"] == []
    own = subject_export(subject=claim, acting_user=None)["data"]["email_channel"]
    assert len(own["mails"]) == 1


def test_erasure_removes_mails_attachments_their_files_and_the_claims(
    mailed, django_capture_on_commit_callbacks
):
    owner = known_subject(email=EMAIL)
    files = _attachment_paths()
    assert files and all(path.exists() for path in files)

    with django_capture_on_commit_callbacks(execute=True):
        counts = subject_erase(subject=owner, acting_user=None)

    assert counts["email_channel"]["attachments"] == 1
    assert counts["email_channel"]["claimed_conversations"] == 2
    assert not Conversation.objects.exists()
    assert not MailMessage.objects.exists() and not MailThread.objects.exists()
    assert not Attachment.objects.exists()
    assert not any(path.exists() for path in files)
    assert not DataSubject.objects.exists()
    rows = _all_rows_as_text()
    assert "Zwetschgenbaum" not in rows and EMAIL not in rows


def test_retention_deletes_resolved_mail_conversations_with_their_files(
    mailed, django_capture_on_commit_callbacks
):
    RetentionPolicy.objects.update_or_create(
        category=RetentionPolicy.Category.CONVERSATIONS_RESOLVED,
        defaults={"duration_days": 30, "is_active": True},
    )
    long_ago = timezone.now() - timedelta(days=60)
    mailed.update(status="resolved", resolved_at=long_ago)
    files = _attachment_paths()

    with django_capture_on_commit_callbacks(execute=True):
        retention_purge()

    assert not Attachment.objects.exists() and not MailMessage.objects.exists()
    assert not any(path.exists() for path in files)


def test_the_attachment_store_is_covered_by_key_rotation():
    names = [store.name for store in encrypted_file_stores()]
    assert "email_channel.Attachment.file" in names


def test_a_refused_files_record_keeps_no_free_text_of_its_declared_type(deliver, fetch):
    """The type a mail declares for a file is free text (`application/x-<anything>`): a
    refused file's record keeps an accepted type whole, else only its top level."""
    deliver(
        mail_bytes(
            sender=EMAIL,
            attachments=[
                ("a.bin", "application/x-quirinus-zwetschgenbaum", b"\x00\x01"),
                ("c.pdf", "application/pdf", b"MZ\x90\x00"),
            ],
        )
    )
    fetch()

    refused = MailMessage.objects.get(direction="inbound").attachments_refused
    assert [(row["reason"], row["content_type"]) for row in refused] == [
        ("type_not_allowed", "application"),
        ("type_mismatch", "application/pdf"),
    ]
    assert "zwetschgenbaum" not in _all_rows_as_text().lower()
