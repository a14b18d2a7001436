"""Acceptance: a subject seeded everywhere is exported completely, then erased completely.

After erasure none of the subject's distinctive strings is left in a raw
database dump, in the media folder or in anything logged on the way.
"""

import io
import logging
import re
import zipfile
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail

from bot.chat import chat_consent_give
from bot.services import message_append
from privacy.services import data_request_create
from tests.factories import ConversationFactory, known_subject
from tests.privacy.test_at_rest import _all_rows_as_text, _database_dump

NAME = "Quirinus Zwetschgenbaum"
EMAIL = "quirinus.zwetschgenbaum@example.org"
PHONE = "+49 170 9988776"
MESSAGE = "Meine Lieblingsfarbe ist Ultramarinviolett-7731"
STRINGS = [NAME, "Zwetschgenbaum", EMAIL, PHONE, "9988776", MESSAGE, "Ultramarinviolett-7731"]


def _leftovers(text: str) -> list[str]:
    # Whole words only: short strings occur by chance inside base64 ciphertext.
    return [
        value
        for value in STRINGS
        if re.search(rf"(?<![\w\-+]){re.escape(value)}(?![\w\-])", text, flags=re.IGNORECASE)
    ]


def _media_text() -> str:
    media = Path(settings.MEDIA_ROOT)
    if not media.exists():
        return ""
    return "\n".join(p.read_bytes().decode("latin-1") for p in media.rglob("*") if p.is_file())


@pytest.mark.django_db(transaction=True)
def test_export_holds_every_string_and_erasure_leaves_none(
    policies, agent, celery_eager, caplog, django_capture_on_commit_callbacks
):
    caplog.set_level(logging.DEBUG)
    # given a subject with identity, consent, a conversation, audit events and an export
    subject = known_subject(name=NAME, email=EMAIL, phone=PHONE)
    conversation = ConversationFactory(subject=subject)
    chat_consent_give(conversation=conversation, policy_version="2026-11")
    message_append(conversation=conversation, sender="customer", text=MESSAGE)
    message_append(conversation=conversation, sender="agent", text=f"Danke, {NAME}!")

    # when the subject asks for a copy
    with django_capture_on_commit_callbacks(execute=True):
        data_request_create(kind="access", email=EMAIL, created_by=agent)
    export_link = next(m for m in mail.outbox if "/privacy/exports/" in m.body)
    token = export_link.body.split("/privacy/exports/")[1].split("/")[0]
    from privacy.services import data_export_open

    archive = zipfile.ZipFile(io.BytesIO(data_export_open(token=token)))
    exported = archive.read("data.json").decode() + archive.read("report.html").decode()

    # then every string is in the export
    assert set(_leftovers(exported)) == set(STRINGS)

    # when the subject has everything erased
    with django_capture_on_commit_callbacks(execute=True):
        data_request_create(kind="erasure", email=EMAIL, created_by=agent)

    # then nothing is left: database dump, every row, the media folder, the logs
    assert _leftovers(_database_dump()) == []
    assert _leftovers(_all_rows_as_text()) == []
    assert _leftovers(_media_text()) == []
    assert _leftovers(caplog.text) == []
