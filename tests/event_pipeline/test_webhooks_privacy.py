"""Webhook deliveries and personal data: encrypted at rest, erased with their subject
(pending retries send nothing), purged by retention, listed in the subject's export."""

from datetime import timedelta
from unittest import mock

import pytest
from celery.app.task import Task
from django.db import connection
from django.utils import timezone

from bot.services import conversation_start, message_append
from event_pipeline.models import WebhookDelivery
from event_pipeline.tasks import webhook_deliver_task
from event_pipeline.webhooks import WebhookRetry, webhook_deliver, webhook_subscription_create
from privacy.models import RetentionPolicy
from privacy.services import retention_purge, subject_erase, subject_export
from tests.event_pipeline.test_webhooks import receiver  # noqa: F401  (the local receiver)
from tests.factories import processor_with_active_agreement

pytestmark = pytest.mark.django_db

SECRET_TEXT = "Meine IBAN ist DE89 3704 0044 0532 0130 00, Erika Mustermann"


def _personal_data_subscription(url: str, events=("message.created",)):
    processor = processor_with_active_agreement()
    subscription, _secret = webhook_subscription_create(
        name="CRM", url=url, events=list(events), include_personal_data=True, processor=processor
    )
    return subscription


def _queued_deliveries(django_capture_on_commit_callbacks, *, subject, text=SECRET_TEXT):
    """A message of the subject's conversation; its delivery task is queued, not run."""
    queued = []
    with (
        mock.patch.object(
            Task,
            "apply_async",
            autospec=True,
            side_effect=lambda task, args=None, kwargs=None, **o: queued.append(args[0]),
        ),
        django_capture_on_commit_callbacks(execute=True),
    ):
        conversation, _token = conversation_start()
        conversation.subject = subject
        conversation.save(update_fields=["subject"])
        message_append(conversation=conversation, sender="customer", text=text)
    return conversation, queued


def test_the_payload_is_encrypted_in_the_stored_bytes(
    receiver,  # noqa: F811
    subject,
    django_capture_on_commit_callbacks,
):
    _personal_data_subscription(receiver().url)

    _queued_deliveries(django_capture_on_commit_callbacks, subject=subject)

    with connection.cursor() as cursor:
        cursor.execute("SELECT payload FROM supportdesk_webhookdelivery")
        [(stored,)] = cursor.fetchall()
    assert "IBAN" not in stored and "Mustermann" not in stored and "DE89" not in stored
    assert stored.startswith("gAAAA")  # a Fernet token
    assert WebhookDelivery.objects.get().payload["text"] == SECRET_TEXT


def test_erasure_deletes_the_deliveries_and_a_queued_retry_sends_nothing(
    receiver,  # noqa: F811
    subject,
    agent,
    django_capture_on_commit_callbacks,
    settings,
):
    settings.WEBHOOK_BACKOFF_SECONDS = 60
    hook = receiver(statuses=(503,))
    _personal_data_subscription(hook.url)
    _conversation, queued = _queued_deliveries(django_capture_on_commit_callbacks, subject=subject)
    [delivery_id] = queued
    # The first attempt fails; Celery would run the task again in a minute.
    with pytest.raises(WebhookRetry):
        webhook_deliver(delivery=WebhookDelivery.objects.get(pk=delivery_id))
    assert len(hook.requests) == 1

    counts = subject_erase(subject=subject, acting_user=agent, reason="Art. 17")
    webhook_deliver_task.run(delivery_id)  # the queued retry

    assert counts["supportdesk.webhooks"] == {"webhook_deliveries": 1, "pending_cancelled": 1}
    assert not WebhookDelivery.objects.exists()
    assert len(hook.requests) == 1  # nothing was sent after the erasure


def test_a_delivery_erased_while_being_sent_is_not_written_back(
    receiver,  # noqa: F811
    subject,
    agent,
    django_capture_on_commit_callbacks,
):
    hook = receiver(statuses=(503,))
    _personal_data_subscription(hook.url)
    _queued_deliveries(django_capture_on_commit_callbacks, subject=subject)
    delivery = WebhookDelivery.objects.get()
    real_urlopen = __import__("urllib.request").request.urlopen

    def erase_then_answer(*args, **kwargs):
        subject_erase(subject=subject, acting_user=agent, reason="Art. 17")
        return real_urlopen(*args, **kwargs)

    with mock.patch("urllib.request.urlopen", side_effect=erase_then_answer):
        webhook_deliver(delivery=delivery)  # no retry: there is nothing left to retry

    assert not WebhookDelivery.objects.exists()


def test_deliveries_about_a_conversation_named_before_its_subject_are_erased(
    receiver,  # noqa: F811
    subject,
    agent,
    django_capture_on_commit_callbacks,
):
    # "conversation.created" is sent before the customer says who they are.
    _personal_data_subscription(receiver().url, events=("conversation.created",))
    with (
        mock.patch.object(Task, "apply_async", autospec=True),
        django_capture_on_commit_callbacks(execute=True),
    ):
        conversation, _token = conversation_start()
    conversation.subject = subject
    conversation.save(update_fields=["subject"])

    subject_erase(subject=subject, acting_user=agent, reason="Art. 17")

    assert not WebhookDelivery.objects.exists()


def test_retention_deletes_deliveries_older_than_their_period(
    receiver,  # noqa: F811
    subject,
    django_capture_on_commit_callbacks,
):
    assert RetentionPolicy.objects.get(category="webhook_deliveries").duration_days == 30
    _personal_data_subscription(receiver().url)
    _queued_deliveries(django_capture_on_commit_callbacks, subject=subject, text="alt")
    _queued_deliveries(django_capture_on_commit_callbacks, subject=subject, text="neu")
    old = WebhookDelivery.objects.order_by("pk").first()
    WebhookDelivery.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=31))

    run = retention_purge()

    assert run.counts["webhook_deliveries"] == 1
    assert [d.payload["text"] for d in WebhookDelivery.objects.all()] == ["neu"]


def test_the_access_export_lists_who_received_what_and_when(
    receiver,  # noqa: F811
    subject,
    agent,
    django_capture_on_commit_callbacks,
    celery_eager,
):
    hook = receiver()
    _personal_data_subscription(hook.url)
    with django_capture_on_commit_callbacks(execute=True):
        conversation, _token = conversation_start()
        conversation.subject = subject
        conversation.save(update_fields=["subject"])
        message_append(conversation=conversation, sender="customer", text="Hallo")

    export = subject_export(subject=subject, acting_user=agent)

    [sent] = export["data"]["supportdesk.webhooks"]["webhook_deliveries"]
    assert sent["receiver"] == "CRM" and sent["receiver_host"] == "127.0.0.1"
    assert sent["processor"] == "CRM GmbH" and sent["event"] == "message.created"
    assert sent["fields"] == ["conversation", "from", "seq", "text"]
    assert sent["status"] == "delivered" and sent["delivered_at"] and sent["occurred_at"]
    assert "Hallo" not in str(sent)  # who received what, not the content again


def test_the_admin_delivery_log_does_not_show_the_payload(
    receiver,  # noqa: F811
    subject,
    admin_client,
    django_capture_on_commit_callbacks,
):
    _personal_data_subscription(receiver().url)
    _queued_deliveries(django_capture_on_commit_callbacks, subject=subject)
    delivery = WebhookDelivery.objects.get()

    page = admin_client.get(f"/admin/event_pipeline/webhookdelivery/{delivery.pk}/change/")

    assert page.status_code == 200 and "message.created" in page.content.decode()
    assert "DE89" not in page.content.decode() and "Mustermann" not in page.content.decode()
