"""The agents' e-mail pages: attachments only through the audited, permission-checked view."""

import pytest
from django.urls import reverse

from bot.models import Conversation
from email_channel.models import Attachment
from privacy.models import AuditEvent
from tests.email_channel.mails import PDF_BYTES, mail_bytes
from tests.factories import AgentFactory, QueueFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def attachment(deliver, fetch) -> Attachment:
    deliver(mail_bytes(attachments=[("Rechnung Erika.pdf", "application/pdf", PDF_BYTES)]))
    fetch()
    return Attachment.objects.get()


def test_an_agent_of_the_queue_downloads_the_file_and_it_is_audited(client, agent, attachment):
    client.force_login(agent)

    response = client.get(reverse("email_channel:attachment_download", args=[attachment.public_id]))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF_BYTES
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]
    event = AuditEvent.objects.get(action="attachment.downloaded")
    assert event.acting_user == agent
    assert event.reason_code == AuditEvent.Reason.SUPPORT
    conversation = attachment.message.conversation
    assert event.subject_public_id == conversation.subject.public_id
    assert "Rechnung" not in repr(event.details)


def test_an_agent_of_another_queue_is_refused_and_nothing_is_audited(client, attachment):
    outsider = AgentFactory()
    QueueFactory(members=[outsider])
    client.force_login(outsider)

    response = client.get(reverse("email_channel:attachment_download", args=[attachment.public_id]))

    assert response.status_code == 403
    assert not AuditEvent.objects.filter(action="attachment.downloaded").exists()


def test_without_login_the_file_is_not_served(client, attachment):
    response = client.get(reverse("email_channel:attachment_download", args=[attachment.public_id]))
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_an_unknown_attachment_is_404(client, agent, attachment):
    client.force_login(agent)
    attachment.delete()
    response = client.get(reverse("email_channel:attachment_download", args=[attachment.public_id]))
    assert response.status_code == 404


def test_attachments_have_no_public_url(attachment):
    with pytest.raises(ValueError):
        attachment.file.url  # noqa: B018


def test_the_mails_page_shows_the_quoted_history_and_is_audited(client, agent, deliver, fetch):
    deliver(
        mail_bytes(
            text="Neue Frage.\n\nAm 01.12.2026 schrieb Support <s@shop.example>:\n> alte Antwort",
            attachments=[("Foto.png", "image/png", b"\x89PNG\r\n\x1a\n" + b"0" * 20)],
        )
    )
    fetch()
    conversation = Conversation.objects.get()
    client.force_login(agent)

    page = client.get(reverse("agents:conversation", args=[conversation.public_id]))
    mails_url = reverse("email_channel:conversation_mails", args=[conversation.public_id])
    assert mails_url in page.content.decode()
    response = client.get(mails_url)

    html = response.content.decode()
    assert response.status_code == 200
    assert "alte Antwort" in html
    assert "Foto.png" in html
    assert AuditEvent.objects.filter(
        action="conversation.viewed", details__via="mails", acting_user=agent
    ).exists()
    assert conversation.messages.get().text.endswith("Neue Frage.")


def test_the_mails_page_is_refused_to_agents_of_other_queues(client, deliver, fetch):
    deliver(mail_bytes())
    fetch()
    outsider = AgentFactory()
    client.force_login(outsider)
    response = client.get(
        reverse("email_channel:conversation_mails", args=[Conversation.objects.get().public_id])
    )
    assert response.status_code == 403


def test_the_conversation_page_shows_the_delivery_of_a_mailed_reply(client, agent, deliver, fetch):
    from agents.services import conversation_reply

    deliver(mail_bytes())
    fetch()
    conversation = Conversation.objects.get()
    conversation_reply(conversation=conversation, agent=agent, text="Antwort")
    client.force_login(agent)

    page = client.get(reverse("agents:conversation", args=[conversation.public_id]))

    assert 'data-delivery-status="pending"' in page.content.decode()


def test_the_conversation_page_reads_the_replies_mails_in_one_query(
    client, agent, deliver, fetch, django_assert_max_num_queries
):
    from agents.services import conversation_reply

    deliver(mail_bytes())
    fetch()
    conversation = Conversation.objects.get()
    conversation_reply(conversation=conversation, agent=agent, text="Antwort 1")
    client.force_login(agent)
    url = reverse("agents:conversation", args=[conversation.public_id])
    with django_assert_max_num_queries(80) as one_reply:
        client.get(url)
    for number in range(2, 12):
        conversation_reply(conversation=conversation, agent=agent, text=f"Antwort {number}")

    with django_assert_max_num_queries(len(one_reply.captured_queries)):
        page = client.get(url).content.decode()

    assert page.count('data-delivery-status="pending"') == 11


def test_the_mails_page_masks_the_customers_address_as_the_conversation_page_does(
    client, agent, deliver, fetch
):
    """The conversation page shows the customer's address masked until revealed (with a
    reason, audited, and only to staff allowed personal data): the mails page named it
    in full as each mail's sender."""
    deliver(mail_bytes(sender="Erika Mustermann <erika.mustermann@example.net>"))
    fetch()
    conversation = Conversation.objects.get()
    client.force_login(agent)

    html = client.get(
        reverse("email_channel:conversation_mails", args=[conversation.public_id])
    ).content.decode()

    assert "erika.mustermann@example.net" not in html
    assert "e•••@e•••.net" in html
