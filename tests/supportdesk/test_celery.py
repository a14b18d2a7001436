"""A real Celery worker process runs a real task against the test database.

Embedded default: kombu's filesystem broker. `make test-services`: RabbitMQ and Redis.
"""

import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from bot.models import Conversation
from bot.services import conversation_resolve
from bot.tasks import conversations_close_resolved_task
from supportdesk.celery import app
from tests.conftest import SERVICES
from tests.factories import ConversationFactory
from tests.processes import process_environment

WORKER_START_TIMEOUT = 90


def _brokers() -> list[str]:
    if SERVICES:
        return [
            os.environ.get("CELERY_BROKER_URL", "amqp://guest:guest@127.0.0.1:5672//"),
            os.environ.get("CELERY_TEST_REDIS_BROKER_URL", "redis://127.0.0.1:6379/1"),
        ]
    return [settings.CELERY_BROKER_URL]


@pytest.fixture
def celery_worker_for(tmp_path):
    workers = []

    def start(broker_url: str) -> Path:
        log = tmp_path / f"worker-{len(workers)}.log"
        env = process_environment(CELERY_BROKER_URL=broker_url)
        command = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "supportdesk",
            "worker",
            "--pool",
            "solo",
            "--loglevel",
            "INFO",
            "--without-heartbeat",
            "--without-gossip",
        ]
        workers.append(
            subprocess.Popen(
                command,
                env=env,
                stdout=log.open("w"),
                stderr=subprocess.STDOUT,
                cwd=settings.BASE_DIR,
            )
        )
        return log

    yield start
    for worker in workers:
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("broker_url", _brokers())
def test_a_worker_process_runs_the_close_resolved_task(broker_url, celery_worker_for, settings):
    # given a conversation resolved long ago
    conversation = conversation_resolve(conversation=ConversationFactory())
    Conversation.objects.filter(pk=conversation.pk).update(
        resolved_at=timezone.now() - timedelta(days=3)
    )
    log = celery_worker_for(broker_url)

    # when the task is sent through the broker (ids only, no arguments at all here)
    with app.connection_for_write(broker_url) as broker:
        conversations_close_resolved_task.apply_async(connection=broker)

    # then the worker process closes it
    deadline = time.monotonic() + WORKER_START_TIMEOUT
    while time.monotonic() < deadline:
        conversation.refresh_from_db()
        if conversation.status == Conversation.Status.CLOSED:
            break
        time.sleep(0.5)
    assert conversation.status == Conversation.Status.CLOSED, log.read_text()[-3000:]
