"""Housekeeping of follow-up addresses (email-housekeeping, Celery beat): a follow-up's mail
thread goes once nothing needs it (the follow-up is done, the conversation is closed), its
reply still waiting to go out is delivered first, and cancelled visibly only once the
address's retention ("follow_ups") is over. A thread that is how the customer wrote to us
(e-mail, contact form) goes with its conversation only."""

from datetime import timedelta

import pytest
from django.core import mail as django_mail
from django.utils import timezone

from agents.services import conversation_reply, conversation_resolve_by_agent
from bot.follow_ups import follow_up_done, follow_up_request, follow_ups_purge
from bot.models import Conversation, FollowUp
from bot.services import conversations_close_resolved
from email_channel import tasks
from email_channel.follow_up import follow_up_address_leave
from email_channel.models import MailMessage, MailThread
from email_channel.services import mail_housekeeping, mail_send_attempt
from privacy.models import ConsentRecord, LegalHold, RetentionPolicy
from tests.email_channel.mails import mail_bytes

pytestmark = pytest.mark.django_db

ADDRESS = "waltraud.wartend@example.org"


def _answer_by_mail(conversation: Conversation) -> FollowUp:
    return follow_up_request(
        conversation=conversation,
        method=FollowUp.Method.EMAIL,
        contact=ADDRESS,
        preferred_time="any",
        policy_version="2026-11",
        language="de",
    )


def _reply_waiting_to_go_out(conversation: Conversation, agent) -> MailMessage:
    # Without the commit callbacks run, the send task is not queued: the mail waits.
    message = conversation_reply(conversation=conversation, agent=agent, text="Es kommt morgen.")
    mail = MailMessage.objects.get(message=message)
    assert mail.status == MailMessage.Status.PENDING
    return mail


def _closed(conversation: Conversation, agent) -> None:
    conversation_resolve_by_agent(
        conversation=Conversation.objects.get(pk=conversation.pk), agent=agent
    )
    later = timezone.now() + timedelta(days=3)
    assert conversations_close_resolved(now=later) == 1


def test_a_done_follow_up_keeps_its_address_until_the_waiting_mail_went_out(waiting_chat, agent):
    follow_up = _answer_by_mail(waiting_chat)
    mail = _reply_waiting_to_go_out(waiting_chat, agent)

    follow_up_done(follow_up=follow_up, acting_user=agent)
    assert mail_housekeeping()["follow_up_addresses"] == 0
    assert MailThread.objects.exists()  # the reply still goes to it

    assert mail_send_attempt(mail_id=mail.pk) is None
    (sent,) = django_mail.outbox
    assert sent.to == [ADDRESS]
    counts = mail_housekeeping()
    assert (counts["follow_up_addresses"], counts["follow_up_mails_cancelled"]) == (1, 0)
    assert not MailThread.objects.exists()
    mail.refresh_from_db()
    assert mail.status == MailMessage.Status.SENT  # the record of what was sent stays


def test_the_beat_task_runs_the_same_housekeeping(waiting_chat, agent):
    follow_up = _answer_by_mail(waiting_chat)
    follow_up_done(follow_up=follow_up, acting_user=agent)
    assert not MailThread.objects.exists()  # nothing waiting: gone at once
    _answer_by_mail(waiting_chat)
    FollowUp.objects.filter(done_at__isnull=True).update(
        done_at=timezone.now(), contact=None
    )  # done without the service (an old row)

    assert tasks.mail_housekeeping_task()["follow_up_addresses"] == 1
    assert not MailThread.objects.exists()


def test_an_open_follow_up_keeps_its_address_and_retention_ends_it(waiting_chat, agent):
    _answer_by_mail(waiting_chat)
    assert mail_housekeeping()["follow_up_addresses"] == 0
    assert MailThread.objects.exists()

    # Retention ("follow_ups", from when asked) deletes the follow-up: its address goes.
    later = timezone.now() + timedelta(days=31)
    follow_ups_purge(
        cutoff=later - timedelta(days=30), batch_size=100, max_batches=None, dry_run=False
    )
    assert mail_housekeeping(now=later)["follow_up_addresses"] == 1
    assert not MailThread.objects.exists()


def test_an_address_left_while_waiting_stays_while_the_conversation_can_go_on(waiting_chat, agent):
    follow_up_address_leave(conversation=waiting_chat, address=ADDRESS)
    conversation_resolve_by_agent(
        conversation=Conversation.objects.get(pk=waiting_chat.pk), agent=agent
    )
    # Resolved: the customer's reply by mail still reopens it.
    assert mail_housekeeping()["follow_up_addresses"] == 0

    assert conversations_close_resolved(now=timezone.now() + timedelta(days=3)) == 1
    assert mail_housekeeping()["follow_up_addresses"] == 1
    assert not MailThread.objects.exists()
    # The follow-up's task stays for the agent (its contact goes when done or by its
    # retention); the proof of consent stays (its own retention).
    assert FollowUp.objects.get().contact == ADDRESS
    assert ConsentRecord.objects.filter(purposes=[ConsentRecord.Purpose.FOLLOW_UP]).exists()


def test_a_closed_conversations_waiting_mail_is_delivered_first(waiting_chat, agent):
    follow_up_address_leave(conversation=waiting_chat, address=ADDRESS)
    mail = _reply_waiting_to_go_out(waiting_chat, agent)
    _closed(waiting_chat, agent)

    assert mail_housekeeping()["follow_up_addresses"] == 0
    assert mail_send_attempt(mail_id=mail.pk) is None
    assert [sent.to for sent in django_mail.outbox] == [[ADDRESS]]
    assert mail_housekeeping()["follow_up_addresses"] == 1


def test_a_mail_still_waiting_when_the_addresses_retention_is_over_is_cancelled_visibly(
    waiting_chat, agent, client
):
    follow_up_address_leave(conversation=waiting_chat, address=ADDRESS)
    mail = _reply_waiting_to_go_out(waiting_chat, agent)
    _closed(waiting_chat, agent)
    days = RetentionPolicy.objects.get(category=RetentionPolicy.Category.FOLLOW_UPS).duration_days

    later = timezone.now() + timedelta(days=days + 1)
    counts = mail_housekeeping(now=later)

    assert (counts["follow_up_addresses"], counts["follow_up_mails_cancelled"]) == (1, 1)
    assert not MailThread.objects.exists()
    mail.refresh_from_db()
    assert (mail.status, mail.error_code) == (MailMessage.Status.FAILED, "cancelled")
    assert mail_send_attempt(mail_id=mail.pk) is None  # a late task sends nothing
    assert django_mail.outbox == []
    # The agents see it on the conversation page, though the chat's thread is gone.
    client.force_login(agent)
    page = client.get(f"/inbox/c/{waiting_chat.public_id}/").content.decode()
    assert 'data-delivery-status="failed"' in page and "cancelled" in page


def test_a_legal_hold_keeps_the_address(waiting_chat, agent):
    follow_up_address_leave(conversation=waiting_chat, address=ADDRESS)
    hold = LegalHold.objects.create(reference=waiting_chat.public_id, reason="Klage")
    FollowUp.objects.update(done_at=timezone.now(), contact=None)  # done

    assert mail_housekeeping()["follow_up_addresses"] == 0  # the hold keeps it
    hold.released_at = timezone.now()
    hold.save(update_fields=["released_at"])
    assert mail_housekeeping()["follow_up_addresses"] == 1


def test_an_e_mail_conversations_own_thread_goes_only_with_the_conversation(deliver, fetch, agent):
    deliver(mail_bytes(sender="kunde@example.org", text="Wo ist mein Paket?"))
    fetch()
    conversation = Conversation.objects.get()
    Conversation.objects.filter(pk=conversation.pk).update(
        status=Conversation.Status.CLOSED, closed_at=timezone.now()
    )

    assert mail_housekeeping(now=timezone.now() + timedelta(days=365))["follow_up_addresses"] == 0
    assert MailThread.objects.filter(conversation=conversation).exists()
