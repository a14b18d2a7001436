"""Outgoing webhooks against a local receiver on 127.0.0.1."""

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.core.exceptions import ValidationError

from bot.services import conversation_start, message_append
from event_pipeline.models import WebhookDelivery, WebhookSubscription
from event_pipeline.webhooks import (
    SIGNATURE_HEADER,
    WebhookRetry,
    webhook_deliver,
    webhook_signature,
    webhook_signature_verify,
    webhook_subscription_create,
)
from privacy.models import Processor
from tests.factories import agreement_sign, processor_with_active_agreement

pytestmark = pytest.mark.django_db


class Receiver:
    """A local HTTP endpoint that records requests and answers the statuses given."""

    def __init__(self, statuses=(200,)):
        self.requests, self.statuses = [], list(statuses)
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append((dict(self.headers), body))
                status = (
                    receiver.statuses.pop(0) if len(receiver.statuses) > 1 else receiver.statuses[0]
                )
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    made = []

    def make(statuses=(200,)):
        made.append(Receiver(statuses))
        return made[-1]

    yield make
    for receiver in made:
        receiver.close()


def _subscribe(url, events=("message.created",), **kwargs):
    return webhook_subscription_create(name="crm", url=url, events=list(events), **kwargs)


def _emit_message(django_capture_on_commit_callbacks, text="Meine IBAN ist DE89 3704"):
    with django_capture_on_commit_callbacks(execute=True):
        conversation, _token = conversation_start()
        message_append(conversation=conversation, sender="customer", text=text)
    return conversation


def test_an_event_is_delivered_signed_and_without_personal_data(
    receiver, django_capture_on_commit_callbacks, celery_eager
):
    hook = receiver()
    subscription, secret = _subscribe(hook.url)

    conversation = _emit_message(django_capture_on_commit_callbacks)

    [(headers, body)] = hook.requests
    event = json.loads(body)
    assert event["event"] == "message.created"
    assert event["data"] == {
        "conversation": str(conversation.public_id),
        "seq": 1,
        "from": "customer",
    }
    assert b"IBAN" not in body
    assert webhook_signature_verify(secret=secret, header=headers[SIGNATURE_HEADER], body=body)
    assert WebhookDelivery.objects.get().status == "delivered"


def test_personal_data_needs_an_agreement_with_the_receiver(receiver):
    hook = receiver()
    processor = Processor.objects.create(name="CRM GmbH", address="Berlin")

    with pytest.raises(ValidationError, match="processing agreement"):
        _subscribe(hook.url, include_personal_data=True, processor=processor)

    agreement_sign(processor)
    subscription, _secret = _subscribe(hook.url, include_personal_data=True, processor=processor)
    assert subscription.include_personal_data


def test_with_an_agreement_the_text_is_included(
    receiver, django_capture_on_commit_callbacks, celery_eager
):
    hook = receiver()
    processor = processor_with_active_agreement()
    _subscribe(hook.url, include_personal_data=True, processor=processor)

    _emit_message(django_capture_on_commit_callbacks, text="Hallo")

    assert json.loads(hook.requests[0][1])["data"]["text"] == "Hallo"


def test_a_server_error_is_retried_with_backoff_and_then_delivered(receiver, settings):
    settings.WEBHOOK_BACKOFF_SECONDS = 5
    hook = receiver(statuses=(503, 200))
    subscription, _secret = _subscribe(hook.url)
    delivery = WebhookDelivery.objects.create(
        subscription=subscription, event="message.created", payload={"x": 1}
    )

    with pytest.raises(WebhookRetry) as retry:
        webhook_deliver(delivery=delivery)
    webhook_deliver(delivery=delivery)
    webhook_deliver(delivery=delivery)  # delivered: not sent again

    assert retry.value.countdown == 5
    assert len(hook.requests) == 2 and delivery.status == "delivered" and delivery.attempts == 2


def test_repeated_failures_disable_the_subscription(receiver, settings):
    settings.WEBHOOK_DISABLE_AFTER_FAILURES = 2
    hook = receiver(statuses=(410,))
    subscription, _secret = _subscribe(hook.url)

    for _ in range(2):
        delivery = WebhookDelivery.objects.create(
            subscription=subscription, event="message.created", payload={}
        )
        webhook_deliver(delivery=delivery)

    subscription.refresh_from_db()
    assert not subscription.is_active and "2 deliveries failed" in subscription.disabled_reason
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {"failed"}


def test_an_old_or_forged_signature_is_rejected():
    body = b'{"event":"x"}'
    header = webhook_signature(secret="s3cret", timestamp=1_000, body=body)

    assert webhook_signature_verify(secret="s3cret", header=header, body=body, now=1_100)
    assert not webhook_signature_verify(secret="s3cret", header=header, body=body, now=5_000)
    assert not webhook_signature_verify(secret="other", header=header, body=body, now=1_100)
    assert not webhook_signature_verify(secret="s3cret", header="nonsense", body=body)


def test_unknown_events_are_refused():
    with pytest.raises(ValidationError):
        _subscribe("http://127.0.0.1:9/hook", events=["order.shipped"])


def test_the_secret_is_stored_encrypted():
    from django.db import connection

    subscription, secret = _subscribe("http://127.0.0.1:9/hook")
    with connection.cursor() as cursor:
        cursor.execute("SELECT secret FROM supportdesk_webhooksubscription")
        stored = cursor.fetchone()[0]

    assert secret not in stored and WebhookSubscription.objects.get().secret == secret


def test_webhook_tasks_are_sent_the_delivery_id_only(receiver, django_capture_on_commit_callbacks):
    from unittest import mock

    from celery.app.task import Task

    hook = receiver()
    _subscribe(hook.url)
    sent = []
    with mock.patch.object(
        Task,
        "apply_async",
        autospec=True,
        side_effect=lambda task, args=None, kwargs=None, **o: sent.append((task.name, args)),
    ):
        _emit_message(django_capture_on_commit_callbacks)

    assert sent == [("supportdesk.tasks.webhook_deliver_task", (WebhookDelivery.objects.get().pk,))]
