"""Follow-up by e-mail: a web-chat customer waiting for the team leaves an address
(consented, encrypted, minimal) and gets the agent's reply by mail; a contact form's
conversation is answered by mail to the address typed into the form."""

import pytest
from asgiref.sync import async_to_sync
from django.core import mail as django_mail
from django.db import connection

from agents.services import assignment_route, conversation_reply
from bot.chat import chat_consent_withdraw
from bot.customer_presence import customer_connection_close, customer_connection_open
from bot.follow_ups import follow_up_done, follow_up_request
from bot.hooks import FollowUpRefused
from bot.models import Conversation, FollowUp, Message
from email_channel.follow_up import follow_up_address_leave, follow_up_available
from email_channel.models import MailMessage, MailThread
from helpcentre.services import ContactRequest, contact_form_submit
from privacy.crypto import email_blind_index
from privacy.models import ConsentRecord
from privacy.services import (
    consent_link_subject,
    data_subject_identify,
    subject_erase,
    subject_export,
)
from tests.email_channel.mails import mail_bytes

pytestmark = pytest.mark.django_db

ADDRESS = "waltraud.wartend@example.org"


def test_a_waiting_customer_leaves_an_address_as_the_follow_ups_e_mail_choice(waiting_chat):
    assert follow_up_available(waiting_chat)

    thread = follow_up_address_leave(conversation=waiting_chat, address=f" {ADDRESS} ")

    assert thread.customer_address == ADDRESS
    assert thread.customer_address_index == email_blind_index(ADDRESS)
    # The one follow-up: a task in the inbox with the address, its own consent (purpose
    # "follow_up", the policy version accepted in the chat), the confirmation in the chat.
    follow_up = FollowUp.objects.get(conversation=waiting_chat)
    assert (follow_up.method, follow_up.contact, follow_up.done_at) == ("email", ADDRESS, None)
    consent = ConsentRecord.objects.get(purposes=[ConsentRecord.Purpose.FOLLOW_UP])
    assert follow_up.consent == consent and consent.reference == waiting_chat.public_id
    assert consent.policy_version.version == "2026-11"
    assert "per E-Mail" in waiting_chat.messages.filter(sender="system").last().text
    # The person the access export and erasure find; the address is not put on them.
    waiting_chat.refresh_from_db()
    assert waiting_chat.subject.email == "" and consent.subject == waiting_chat.subject
    assert not follow_up_available(waiting_chat)  # left once
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM email_channel_mailthread")
        assert ADDRESS not in repr(cursor.fetchall())  # encrypted at rest


def test_an_address_is_refused_where_it_cannot_be_offered(waiting_chat, maildir_mailbox):
    with pytest.raises(FollowUpRefused) as invalid:
        follow_up_address_leave(conversation=waiting_chat, address="keine-adresse")
    assert invalid.value.code == "invalid_email"
    maildir_mailbox.is_active = False
    maildir_mailbox.save(update_fields=["is_active"])
    with pytest.raises(FollowUpRefused) as unavailable:
        follow_up_address_leave(conversation=waiting_chat, address=ADDRESS)
    assert unavailable.value.code == "follow_up_unavailable"
    assert not MailThread.objects.exists() and not FollowUp.objects.exists()
    assert not ConsentRecord.objects.filter(purposes=[ConsentRecord.Purpose.FOLLOW_UP])


def test_the_agents_reply_goes_out_by_mail_and_the_customers_reply_comes_back(
    waiting_chat, agent, celery_eager, django_capture_on_commit_callbacks, deliver, fetch
):
    thread = follow_up_address_leave(conversation=waiting_chat, address=ADDRESS)

    with django_capture_on_commit_callbacks(execute=True):
        conversation_reply(conversation=waiting_chat, agent=agent, text="Es kommt morgen.")

    (sent,) = django_mail.outbox
    assert sent.to == [ADDRESS]
    assert "Es kommt morgen." in sent.body
    assert f"[#SD-{thread.reply_token}]" in sent.subject
    # The customer answers by mail: the same (web) conversation, shown to the agent.
    deliver(
        mail_bytes(
            sender=ADDRESS,
            subject=f"AW: {sent.subject}",
            text="Danke, ich bin ab 10 Uhr zu Hause.",
            in_reply_to=sent.extra_headers["Message-ID"],
        )
    )
    fetch()
    assert Conversation.objects.count() == 1
    last = waiting_chat.messages.order_by("-seq").first()
    assert last.sender == Message.Sender.CUSTOMER
    assert last.text == "Danke, ich bin ab 10 Uhr zu Hause."


def test_the_reply_goes_by_mail_only_once_the_customer_left_the_chat(
    waiting_chat, agent, celery_eager
):
    follow_up_address_leave(conversation=waiting_chat, address=ADDRESS)
    public_hex = waiting_chat.public_id.hex
    async_to_sync(customer_connection_open)(public_hex)

    conversation_reply(conversation=waiting_chat, agent=agent, text="Ich schaue nach.")
    assert not MailMessage.objects.exists()  # the chat delivered it

    async_to_sync(customer_connection_close)(public_hex)
    conversation_reply(conversation=waiting_chat, agent=agent, text="Es kommt morgen.")
    mailed = MailMessage.objects.get()
    assert mailed.message.text == "Es kommt morgen."


def test_a_web_chat_without_an_address_sends_no_mail(waiting_chat, agent, celery_eager):
    conversation_reply(conversation=waiting_chat, agent=agent, text="Es kommt morgen.")

    assert django_mail.outbox == []
    assert not MailMessage.objects.exists()


def test_the_address_is_in_the_access_export_and_gone_after_erasure(waiting_chat):
    follow_up_address_leave(conversation=waiting_chat, address=ADDRESS)
    subject = Conversation.objects.get(pk=waiting_chat.pk).subject

    exported = subject_export(subject=subject, acting_user=None)["data"]["email_channel"]
    assert exported["addresses"] == [ADDRESS]

    subject_erase(subject=subject, acting_user=None)
    assert not MailThread.objects.exists()


def test_withdrawing_consent_in_the_chat_deletes_the_address_left(waiting_chat, agent):
    follow_up_address_leave(conversation=waiting_chat, address=ADDRESS)
    conversation = Conversation.objects.select_related("consent", "subject").get(pk=waiting_chat.pk)

    chat_consent_withdraw(conversation=conversation)

    assert not MailThread.objects.exists()
    consent = ConsentRecord.objects.get(purposes=[ConsentRecord.Purpose.FOLLOW_UP])
    assert consent.withdrawn_at is not None
    follow_up = FollowUp.objects.get()
    assert follow_up.contact is None and follow_up.done_at is not None
    conversation_reply(conversation=conversation, agent=agent, text="Es kommt morgen.")
    assert not MailMessage.objects.exists()


def test_withdrawing_consent_keeps_an_identity_given_in_the_chat(waiting_chat):
    subject = data_subject_identify(email=ADDRESS)
    waiting_chat.subject = subject
    waiting_chat.save(update_fields=["subject"])
    consent_link_subject(record=waiting_chat.consent, subject=subject)
    follow_up_address_leave(conversation=waiting_chat, address=ADDRESS)

    chat_consent_withdraw(conversation=Conversation.objects.get(pk=waiting_chat.pk))

    assert not MailThread.objects.exists()
    subject.refresh_from_db()
    assert subject.email == ADDRESS  # given for the chat, not for the follow-up


def test_a_contact_form_conversation_is_answered_by_mail(
    policies, queue, maildir_mailbox, agent, celery_eager, django_capture_on_commit_callbacks
):
    conversation = contact_form_submit(
        ContactRequest(
            language="de",
            subject="Rechnung fehlt",
            message="Ich habe keine Rechnung bekommen.",
            identity={"name": "Frieda Formular", "email": "frieda@example.org"},
            policy_version="2026-11",
        )
    )
    assignment_route(conversation_id=conversation.pk, queue=queue)

    with django_capture_on_commit_callbacks(execute=True):
        conversation_reply(conversation=conversation, agent=agent, text="Sie ist unterwegs.")

    (sent,) = django_mail.outbox
    assert sent.to == ["frieda@example.org"]
    assert sent.subject.startswith("Re: Rechnung fehlt [#SD-")
    assert "Sie ist unterwegs." in sent.body
    assert MailThread.objects.get(conversation=conversation).mailbox == maildir_mailbox


# The bot's follow-up form (bot.follow_ups): "answer by e-mail" --------------------------------


def _answer_by_mail(conversation: Conversation) -> FollowUp:
    return follow_up_request(
        conversation=conversation,
        method=FollowUp.Method.EMAIL,
        contact=ADDRESS,
        preferred_time="morning",
        policy_version="2026-11",
        language="de",
    )


def test_the_answer_by_e_mail_asked_in_the_bots_form_goes_out_through_the_mailbox(
    waiting_chat, agent, client, celery_eager, django_capture_on_commit_callbacks
):
    follow_up = _answer_by_mail(waiting_chat)
    thread = MailThread.objects.get()
    assert (thread.conversation, thread.customer_address) == (waiting_chat, ADDRESS)
    client.force_login(agent)
    page = client.get(f"/inbox/c/{waiting_chat.public_id}/").content.decode()
    assert "Ihre Antworten in dieser Unterhaltung gehen per E-Mail an diese Adresse." in page

    with django_capture_on_commit_callbacks(execute=True):
        conversation_reply(conversation=waiting_chat, agent=agent, text="Es kommt morgen.")

    (sent,) = django_mail.outbox
    assert sent.to == [ADDRESS] and "Es kommt morgen." in sent.body
    assert MailMessage.objects.get().status == MailMessage.Status.SENT
    # Done: the address is forgotten, on the follow-up and with the thread.
    follow_up_done(follow_up=follow_up, acting_user=agent)
    assert not MailThread.objects.exists()


def test_without_an_active_mailbox_the_agent_answers_from_their_own_mail_client(
    waiting_chat, maildir_mailbox, agent, celery_eager
):
    maildir_mailbox.is_active = False
    maildir_mailbox.save(update_fields=["is_active"])

    _answer_by_mail(waiting_chat)
    conversation_reply(conversation=waiting_chat, agent=agent, text="Es kommt morgen.")

    assert not MailThread.objects.exists() and not MailMessage.objects.exists()


def test_once_the_follow_up_is_done_its_address_is_on_no_mail_either(
    waiting_chat, agent, celery_eager, django_capture_on_commit_callbacks, deliver, fetch
):
    """The confirmation promises to forget the address once answered: the thread and the
    follow-up forgot it, but the customer's reply by mail kept it as its sender."""
    follow_up_address_leave(conversation=waiting_chat, address=ADDRESS)
    with django_capture_on_commit_callbacks(execute=True):
        conversation_reply(conversation=waiting_chat, agent=agent, text="Es kommt morgen.")
    (sent,) = django_mail.outbox
    deliver(
        mail_bytes(
            sender=f"Waltraud Wartend <{ADDRESS}>",
            subject=f"AW: {sent.subject}",
            text="Danke, das reicht mir.",
            in_reply_to=sent.extra_headers["Message-ID"],
        )
    )
    fetch()
    assert MailMessage.objects.get(direction="inbound").sender == ADDRESS

    follow_up_done(follow_up=FollowUp.objects.get(), acting_user=agent)

    assert not MailThread.objects.exists()
    assert FollowUp.objects.get().contact is None
    assert ADDRESS not in [mail.sender for mail in MailMessage.objects.all()]
    reply = waiting_chat.messages.order_by("-seq").first()
    assert reply.text == "Danke, das reicht mir."  # what they wrote stays in the conversation
