"""E-mail in the record of processing (Art. 6(1)(b)) and the generated notice, while a
mailbox is active; retention covers what the bot answered by mail and follow-up threads."""

from datetime import timedelta

import pytest
from django.utils import timezone, translation

from bot.models import Conversation
from email_channel.follow_up import follow_up_address_leave
from email_channel.models import MailMessage, MailThread
from privacy.activity_texts import processing_activities_in_use
from privacy.models import ProcessingActivity, RetentionPolicy
from privacy.services import notice_changes, notice_facts, notice_render, retention_purge
from tests.email_channel.mails import mail_bytes

pytestmark = pytest.mark.django_db


def _activities() -> dict[str, ProcessingActivity]:
    with translation.override("en"):
        return {activity.name: activity for activity in processing_activities_in_use()}


def test_without_a_mailbox_the_record_and_notice_leave_e_mail_out():
    assert "E-mail support" not in _activities()
    assert "Art. 6(1)(b)" not in notice_render(language="en")
    assert notice_facts()["email"] is False


def test_with_a_mailbox_the_record_names_art_6_1_b_for_e_mail(maildir_mailbox):
    activities = _activities()

    email = activities["E-mail support"]
    assert email.legal_basis == ProcessingActivity.LegalBasis.CONTRACT
    assert email.is_ai_system  # the bot suggests and may answer
    assert email.retention_policy.category == RetentionPolicy.Category.CONVERSATIONS_RESOLVED
    follow_up = activities["Answers by e-mail to the contact form"]
    assert follow_up.legal_basis == ProcessingActivity.LegalBasis.CONSENT


@pytest.mark.parametrize(
    ("language", "basis", "consent"),
    [("en", "Art. 6(1)(b) GDPR", "Art. 6(1)(a) GDPR"), ("de", "Art. 6 Abs. 1 lit. b", "lit. a")],
)
def test_the_generated_notice_has_the_e_mail_section(maildir_mailbox, language, basis, consent):
    notice = notice_render(language=language)

    assert basis in notice and consent in notice
    heading = "E-Mail" if language == "de" else "E-mail"
    assert f"\n{heading}\n" in notice
    # The record's activity is listed with its legal basis in the notice's language.
    assert ("Kundenservice per E-Mail" if language == "de" else "E-mail support: Contract") in (
        notice
    )


def test_a_notice_published_before_e_mail_shows_as_outdated(maildir_mailbox):
    covered = {**notice_facts(), "email": False}

    with translation.override("en"):
        changes = notice_changes(covered=covered)

    assert any("E-mail support was switched on" in change for change in changes)


def _purge_after(days: int, category: str) -> None:
    RetentionPolicy.objects.update_or_create(
        category=category, defaults={"duration_days": days, "is_active": True}
    )
    retention_purge()


def test_retention_deletes_a_mail_the_bot_answered_once_left(
    knowledge_base, maildir_mailbox, deliver, fetch, celery_eager
):
    maildir_mailbox.bot_auto_answer = True
    maildir_mailbox.save(update_fields=["bot_auto_answer"])
    deliver(mail_bytes(subject="Versandkosten", text="Was kostet der Versand?"))
    fetch()
    conversation = Conversation.objects.get(channel="email", status="bot")
    assert MailMessage.objects.filter(conversation=conversation).count() == 2
    Conversation.objects.filter(pk=conversation.pk).update(
        updated_at=timezone.now() - timedelta(days=60)
    )

    _purge_after(30, RetentionPolicy.Category.SESSIONS_ABANDONED)

    assert not Conversation.objects.exists()
    assert not MailMessage.objects.exists() and not MailThread.objects.exists()


def test_retention_deletes_the_follow_up_address_with_the_resolved_chat(waiting_chat):  # noqa: F811
    follow_up_address_leave(conversation=waiting_chat, address="wartend@example.org")
    long_ago = timezone.now() - timedelta(days=60)
    Conversation.objects.filter(pk=waiting_chat.pk).update(status="resolved", resolved_at=long_ago)

    _purge_after(30, RetentionPolicy.Category.CONVERSATIONS_RESOLVED)

    assert not MailThread.objects.exists()
