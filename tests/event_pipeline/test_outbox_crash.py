"""A process killed between commit and dispatch loses nothing: on restart the outbox
delivers each event once (real processes, kill -9)."""

import queue as queue_module
import signal
import subprocess
import sys
import time

import pytest
from django.conf import settings

from bot.models import Conversation
from event_pipeline.models import OutboxEvent, WebhookDelivery
from event_pipeline.webhooks import webhook_subscription_create
from privacy.models import AuditEvent
from supportdesk.celery import app
from tests.event_pipeline.test_webhooks import receiver  # noqa: F401  (fixture)
from tests.factories import ConversationFactory
from tests.processes import process_environment

pytestmark = pytest.mark.django_db(transaction=True)

DRAIN_AFTER_SECONDS = 1
# The customer asks for a person; the process dies right after the commit, before the
# dispatcher runs (it is replaced by a kill -9 of the process itself).
ESCALATE_THEN_DIE = """
import os, signal, sys
import django
django.setup()
from event_pipeline import outbox
outbox.outbox_events_dispatch = lambda events: os.kill(os.getpid(), signal.SIGKILL)
from bot.chat import conversation_escalate
from bot.models import Conversation
conversation = Conversation.objects.get(pk=int(sys.argv[1]))
conversation_escalate(conversation=conversation, reason="customer_request")
print("not killed")
"""
# daphne's start-up: the ASGI module drains the outbox when it is imported.
DAPHNE_START = "import django; django.setup(); import supportdesk.asgi"


def _run(code: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        env=process_environment(
            OUTBOX_DRAIN_AFTER_SECONDS=str(DRAIN_AFTER_SECONDS), OUTBOX_DRAIN_AT_START="true"
        ),
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=180,
    )


def _webhook_tasks_queued() -> list[list]:
    """Take the broker's waiting messages; the webhook tasks' arguments among them."""
    found = []
    with app.connection_for_write() as broker:
        waiting = broker.SimpleQueue(app.conf.task_default_queue, no_ack=True)
        try:
            while True:
                message = waiting.get(block=False)
                if message.headers.get("task") == "supportdesk.tasks.webhook_deliver_task":
                    found.append(list(message.payload[0]))
        except queue_module.Empty:
            pass
        finally:
            waiting.close()
    return found


@pytest.mark.embedded_only
def test_a_crash_between_commit_and_dispatch_loses_nothing_and_repeats_nothing(
    receiver,  # noqa: F811
):
    # given: a subscription to escalations, and a conversation with the bot
    webhook_subscription_create(name="crm", url=receiver().url, events=["conversation.escalated"])
    conversation = ConversationFactory()
    _webhook_tasks_queued()  # an empty broker queue to count from

    # when: the process escalating it is killed between commit and dispatch
    crashed = _run(ESCALATE_THEN_DIE, str(conversation.pk))

    # then: the change is stored, its events are in the outbox, none went out
    assert crashed.returncode == -signal.SIGKILL, crashed.stdout + crashed.stderr
    assert Conversation.objects.get(pk=conversation.pk).status == Conversation.Status.WAITING
    delivery = WebhookDelivery.objects.get()
    assert OutboxEvent.objects.count() == 1  # the status move's: routing and the webhook
    assert not AuditEvent.objects.filter(action="conversation.routed").exists()
    assert _webhook_tasks_queued() == []

    # when: the server starts again, twice
    time.sleep(DRAIN_AFTER_SECONDS + 0.5)
    restarts = [_run(DAPHNE_START), _run(DAPHNE_START)]

    # then: the escalation was routed once and its webhook queued once; the outbox is empty
    assert [restart.returncode for restart in restarts] == [0, 0], restarts[0].stderr
    assert AuditEvent.objects.filter(action="conversation.routed").count() == 1
    assert _webhook_tasks_queued() == [[delivery.pk]]
    assert OutboxEvent.objects.count() == 0
