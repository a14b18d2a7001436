"""Identity is a claim until verified: a typed email attaches to nobody, overwrites
nothing, shows agents no history, and reaches no access request, until the person
proves the address (the e-mailed link) or staff merge it (audited)."""

import io
import json
import re
import zipfile
from datetime import timedelta

import pytest
from django.core import mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from agents.selectors import conversation_page
from bot.chat import chat_consent_give, chat_identify
from bot.models import Conversation
from bot.services import message_append
from privacy.models import AuditEvent, DataExport, DataRequest, DataSubject
from privacy.services import (
    data_request_create,
    data_subject_identify,
    subject_erase,
    subject_merge,
)
from tests.factories import ConversationFactory, known_subject

pytestmark = pytest.mark.django_db

VICTIM_EMAIL = "erika@example.org"


@pytest.fixture
def victim(policies):
    """A verified customer with an earlier conversation."""
    subject = known_subject(name="Erika Mustermann", email=VICTIM_EMAIL, phone="030 1234567")
    earlier = ConversationFactory(subject=subject)
    message_append(conversation=earlier, sender="customer", text="Meine alte Bestellung")
    return subject


def _identified_conversation(identity: dict, capture) -> Conversation:
    conversation = ConversationFactory()
    chat_consent_give(conversation=conversation, policy_version="2026-11")
    with capture(execute=True):
        chat_identify(conversation=conversation, identity=identity)
    return Conversation.objects.select_related("subject").get(pk=conversation.pk)


def _link_path(message) -> str:
    return re.search(r"http://\S+(/privacy/identity/verify/[^/\s]+/)", message.body).group(1)


def test_a_typed_email_of_a_known_customer_gets_its_own_subject_and_overwrites_nothing(
    victim, celery_eager, django_capture_on_commit_callbacks
):
    conversation = _identified_conversation(
        {"name": "Mallory", "email": " ERIKA@example.org"}, django_capture_on_commit_callbacks
    )

    claim = conversation.subject
    stored = DataSubject.objects.get(pk=victim.pk)
    assert claim.pk != victim.pk and not claim.is_verified
    assert claim.email_index == victim.email_index  # the claim, marked unverified
    assert (stored.name, stored.email, stored.phone) == (
        "Erika Mustermann",
        VICTIM_EMAIL,
        "030 1234567",
    )
    assert victim.conversations.count() == 1


def test_agents_see_no_earlier_conversations_of_an_unverified_claim(
    victim, agent, celery_eager, django_capture_on_commit_callbacks
):
    conversation = _identified_conversation(
        {"name": "Mallory", "email": VICTIM_EMAIL}, django_capture_on_commit_callbacks
    )
    # even a second conversation under the same claim shows nothing before verification
    ConversationFactory(subject=conversation.subject)

    page = conversation_page(conversation=conversation, user=agent)

    assert page.previous == []


def test_the_emailed_link_attaches_the_conversation_to_the_verified_customer(
    client, victim, agent, celery_eager, django_capture_on_commit_callbacks
):
    conversation = _identified_conversation(
        {"name": "Erika", "email": VICTIM_EMAIL}, django_capture_on_commit_callbacks
    )
    claim_public_id = conversation.subject.public_id
    path = _link_path(mail.outbox[-1])
    assert mail.outbox[-1].to == [VICTIM_EMAIL]

    # opening the link (a mail scanner does) changes nothing; the button does
    asked = client.get(path, HTTP_ACCEPT_LANGUAGE="en")
    assert asked.status_code == 200 and b"was given in our support chat on" in asked.content
    assert Conversation.objects.get(pk=conversation.pk).subject_id != victim.pk
    confirmed = client.post(path)

    conversation.refresh_from_db()
    assert confirmed.status_code == 200
    assert conversation.subject_id == victim.pk
    assert not DataSubject.objects.filter(public_id=claim_public_id).exists()
    assert DataSubject.objects.get(pk=victim.pk).name == "Erika Mustermann"
    previous = conversation_page(conversation=conversation, user=agent).previous
    assert [c.pk for c in previous] == [victim.conversations.exclude(pk=conversation.pk).get().pk]
    merged = AuditEvent.objects.get(action="subject.merged")
    assert merged.details["source"] == str(claim_public_id) and merged.details["via"] == "link"
    assert merged.subject_public_id == victim.public_id and merged.acting_user is None
    # the link works once
    assert client.post(path).status_code == 410


def test_the_link_of_a_new_address_makes_the_claim_the_verified_subject(
    client, policies, celery_eager, django_capture_on_commit_callbacks
):
    conversation = _identified_conversation(
        {"name": "Neu", "email": "neu@example.org"}, django_capture_on_commit_callbacks
    )

    client.post(_link_path(mail.outbox[-1]))

    subject = DataSubject.objects.get(pk=conversation.subject_id)
    assert subject.is_verified and subject.email_verified_via == "link"
    assert AuditEvent.objects.filter(action="subject.verified", target_id=str(subject.pk)).exists()


def test_an_expired_link_verifies_nothing(
    client, victim, celery_eager, django_capture_on_commit_callbacks
):
    conversation = _identified_conversation(
        {"name": "Erika", "email": VICTIM_EMAIL}, django_capture_on_commit_callbacks
    )
    DataSubject.objects.filter(pk=conversation.subject_id).update(
        verification_expires_at=timezone.now() - timedelta(minutes=1)
    )

    asked = client.get(_link_path(mail.outbox[-1]))
    response = client.post(_link_path(mail.outbox[-1]))

    assert asked.status_code == response.status_code == 410
    assert not DataSubject.objects.get(pk=conversation.subject_id).is_verified


def test_staff_merge_moves_the_claim_into_the_verified_customer_and_is_audited(
    victim, agent, celery_eager, django_capture_on_commit_callbacks
):
    conversation = _identified_conversation(
        {"name": "E. M.", "email": "erika.privat@example.org"}, django_capture_on_commit_callbacks
    )
    claim = conversation.subject

    subject_merge(source=claim, target=victim, acting_user=agent, reason="called back")

    conversation.refresh_from_db()
    stored = DataSubject.objects.get(pk=victim.pk)
    assert conversation.subject_id == victim.pk
    assert (stored.name, stored.email) == ("Erika Mustermann", VICTIM_EMAIL)
    event = AuditEvent.objects.get(action="subject.merged")
    assert event.acting_user == agent and event.reason == "called back"
    assert event.details["moved"]["bot.conversation"] == 1
    assert event.details["moved"]["privacy.consentrecord"] == 1


def test_merge_refuses_a_verified_source_and_an_unverified_target(victim, policies):
    from django.core.exceptions import ValidationError

    claim = data_subject_identify(name="X", email="x@example.org")
    other = known_subject(name="Y", email="y@example.org")

    with pytest.raises(ValidationError):
        subject_merge(source=other, target=victim, acting_user=None, reason="r")
    with pytest.raises(ValidationError):
        subject_merge(source=victim, target=claim, acting_user=None, reason="r")


def test_staff_merge_through_the_admin_asks_for_a_reason_first(client, victim, django_user_model):
    admin = django_user_model.objects.create_superuser("admin", "a@example.org", "pw")
    client.force_login(admin)
    claim = data_subject_identify(name="Erika", email=VICTIM_EMAIL)
    url = reverse("admin:privacy_datasubject_changelist")
    selection = {"action": "merge_claim", "_selected_action": [victim.pk, claim.pk]}

    asked = client.post(url, selection)
    merged = client.post(url, {**selection, "reason": "ID checked at the counter"})

    assert asked.status_code == 200 and b"reason" in asked.content
    assert merged.status_code == 302
    assert not DataSubject.objects.filter(pk=claim.pk).exists()
    event = AuditEvent.objects.get(action="subject.merged")
    assert event.acting_user == admin and event.details["via"] == "staff"


def test_an_access_request_by_email_holds_no_impostors_chat(
    victim, agent, celery_eager, django_capture_on_commit_callbacks
):
    impostor = data_subject_identify(name="Mallory", email=VICTIM_EMAIL)
    chat = ConversationFactory(subject=impostor)
    message_append(conversation=chat, sender="customer", text="Impostor Zeile 0815")

    with django_capture_on_commit_callbacks(execute=True):
        request = data_request_create(kind="access", email=VICTIM_EMAIL, created_by=agent)

    request.refresh_from_db()
    from privacy.services import data_export_read

    archive = zipfile.ZipFile(io.BytesIO(data_export_read(request=request, acting_user=agent)))
    text = archive.read("data.json").decode()
    assert request.subject_id == victim.pk
    assert DataExport.objects.get(request=request).subject_id == victim.pk
    assert "Meine alte Bestellung" in text
    assert "Impostor" not in text and "Mallory" not in text
    assert json.loads(text)["subject"] == str(victim.public_id)


def test_erasure_takes_the_address_from_claims_but_leaves_their_chats(victim, agent):
    impostor = data_subject_identify(name="Mallory", email=VICTIM_EMAIL)
    ConversationFactory(subject=impostor)

    subject_erase(subject=victim, acting_user=agent, reason="request")

    impostor.refresh_from_db()
    assert impostor.email == "" and impostor.email_index is None
    assert impostor.conversations.count() == 1


def test_claims_may_share_an_address_but_verified_subjects_may_not(policies):
    first = data_subject_identify(email=VICTIM_EMAIL)
    second = data_subject_identify(email=VICTIM_EMAIL)
    known_subject(email="other@example.org")
    now = timezone.now()
    DataSubject.objects.filter(pk=first.pk).update(email_verified_at=now, email_verified_via="link")

    with pytest.raises(IntegrityError), transaction.atomic():
        DataSubject.objects.filter(pk=second.pk).update(
            email_verified_at=now, email_verified_via="link"
        )


def test_existing_subjects_become_legacy_verified_customers(policies):
    from importlib import import_module

    from django.apps import apps

    migration = import_module("privacy.migrations.0011_subject_claims_erasure_ledger")
    subject = data_subject_identify(name="Alt", email="alt@example.org")
    without_email = data_subject_identify(name="Anonym")

    migration.existing_subjects_legacy(apps, None)

    subject.refresh_from_db()
    without_email.refresh_from_db()
    assert subject.email_verified_via == "legacy" and subject.is_verified
    assert not without_email.is_verified


def test_a_request_for_an_address_only_claimed_finds_no_subject(agent, policies):
    data_subject_identify(name="Mallory", email=VICTIM_EMAIL)

    request = data_request_create(kind="erasure", email=VICTIM_EMAIL, created_by=agent)

    assert DataRequest.objects.get(pk=request.pk).subject_id is None


def test_an_objection_made_under_the_claim_holds_after_the_merge(victim, agent):
    claim = data_subject_identify(name="Erika", email=VICTIM_EMAIL)
    DataSubject.objects.filter(pk=claim.pk).update(learning_objected_at=timezone.now())
    claim.refresh_from_db()

    subject_merge(source=claim, target=victim, acting_user=agent, reason="checked")

    assert DataSubject.objects.get(pk=victim.pk).learning_objected_at is not None
