"""email_channel 0004: an address left in the waiting chat before the follow-ups were one
(consent purpose "follow_up_email", a claim holding the address, the mail thread) becomes
the follow-up's e-mail choice, and the record of processing moves the chat's part to
"Call backs and e-mail answers". Run on data of the old shape with today's models (the
migration's function takes any app registry)."""

from importlib import import_module

import pytest
from django.apps import apps
from django.utils import timezone

from bot.chat import chat_consent_withdraw
from bot.models import Conversation, FollowUp
from email_channel.follow_up import follow_up_answer_by_mail, follow_up_left
from email_channel.models import MailThread
from privacy.models import ConsentRecord, ProcessingActivity
from privacy.services import consent_link_subject, consent_record, data_subject_identify

pytestmark = pytest.mark.django_db

migration = import_module("email_channel.migrations.0004_one_follow_up")
ADDRESS = "waltraud.wartend@example.org"


def _old_address_left(conversation: Conversation, *, withdrawn: bool = False) -> ConsentRecord:
    consent = consent_record(
        reference=conversation.public_id,
        language="de",
        policy_version="2026-11",
        channel="web",
        purposes=[ConsentRecord.Purpose.FOLLOW_UP],
    )
    ConsentRecord.objects.filter(pk=consent.pk).update(
        purposes=["follow_up_email"], withdrawn_at=timezone.now() if withdrawn else None
    )
    return consent


def _old_activity_texts() -> None:
    """The record as email_channel 0003 and privacy 0018 seeded it; one text edited."""
    form = ProcessingActivity.objects.get(name=migration.FORM_ACTIVITY)
    form.name = migration.FORM_ACTIVITY_OLD
    for field, (old, _new) in migration.FORM_TEXTS.items():
        setattr(form, field, old)
    form.technical_measures = "Unser eigener Text."
    form.save()
    follow_up = ProcessingActivity.objects.get(name=migration.FOLLOW_UP_ACTIVITY)
    for field, (old, _new) in migration.FOLLOW_UP_TEXTS.items():
        setattr(follow_up, field, old)
    follow_up.save()


def test_an_address_left_before_becomes_the_follow_ups_e_mail_choice(waiting_chat):
    claim = data_subject_identify(email=ADDRESS)
    Conversation.objects.filter(pk=waiting_chat.pk).update(subject=claim)
    consent = _old_address_left(waiting_chat)
    consent_link_subject(record=consent, subject=claim)
    assert follow_up_answer_by_mail(waiting_chat, ADDRESS)  # the thread, as it was made
    _old_activity_texts()

    migration.follow_ups_unify(apps, None)

    consent.refresh_from_db()
    assert consent.purposes == ["follow_up"] and consent.withdrawn_at is None
    follow_up = FollowUp.objects.get()
    assert (follow_up.conversation_id, follow_up.method, follow_up.contact) == (
        waiting_chat.pk,
        "email",
        ADDRESS,
    )
    assert follow_up.consent == consent and follow_up.done_at is None
    assert follow_up.created_at == consent.granted_at
    migration.follow_ups_unify(apps, None)  # a second run changes nothing
    assert FollowUp.objects.count() == 1
    # The record: renamed, the seeded texts replaced, the operator's own kept.
    form = ProcessingActivity.objects.get(name=migration.FORM_ACTIVITY)
    assert form.purpose == migration.FORM_TEXTS["purpose"][1]
    assert form.technical_measures == "Unser eigener Text."
    follow_up_activity = ProcessingActivity.objects.get(name=migration.FOLLOW_UP_ACTIVITY)
    for field, (_old, new) in migration.FOLLOW_UP_TEXTS.items():
        assert getattr(follow_up_activity, field) == new

    # From now on it is one follow-up: withdrawing consent in the chat forgets it all,
    # the claim the old offer made for the address included.
    chat_consent_withdraw(conversation=Conversation.objects.get(pk=waiting_chat.pk))
    assert not MailThread.objects.exists() and not follow_up_left(waiting_chat)
    follow_up.refresh_from_db()
    assert follow_up.contact is None and follow_up.done_at is not None
    consent.refresh_from_db()
    assert consent.withdrawn_at is not None
    claim.refresh_from_db()
    assert claim.email == "" and claim.email_index is None


def test_a_withdrawn_consent_keeps_its_time_and_makes_no_follow_up(waiting_chat):
    consent = _old_address_left(waiting_chat, withdrawn=True)
    withdrawn_at = ConsentRecord.objects.get(pk=consent.pk).withdrawn_at

    migration.follow_ups_unify(apps, None)

    consent.refresh_from_db()
    assert consent.purposes == ["follow_up"] and consent.withdrawn_at == withdrawn_at
    assert not FollowUp.objects.exists()
