"""Jobs that finish, with real processes: beat starts on a fresh folder whatever the broker,
and kill -9 of a worker (main process and children) in the middle of an export, a training
run and a retention run loses none of them and does none twice."""

import io
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from bot.learning import INTERRUPTED_ERROR
from bot.models import BotModel
from bot.tasks import bot_model_train_task
from privacy.models import (
    AuditEvent,
    DataExport,
    DataRequest,
    DataSubject,
    PurgeRun,
    RetentionPolicy,
)
from privacy.services import data_request_create, data_subject_identify
from privacy.tasks import retention_purge_task
from staff import roles
from supportdesk.sweeper import jobs_sweep
from tests.bot.test_learning import small_knowledge_base  # noqa: F401  (fixture)
from tests.factories import DataSubjectFactory, UserFactory
from tests.processes import process_environment
from tests.supportdesk.test_celery import _brokers

START_TIMEOUT = 90
FINISH_TIMEOUT = 180
WORKER_FLAGS = ["--loglevel", "INFO", "--without-heartbeat", "--without-gossip", "--without-mingle"]


def _start(command: list[str], log: Path, **environment: str) -> subprocess.Popen:
    # Its own session: kill -9 of the process group reaches the main process and its children.
    return subprocess.Popen(
        command,
        env=process_environment(**environment),
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        cwd=settings.BASE_DIR,
        start_new_session=True,
    )


def _kill_group(process: subprocess.Popen, sig: int = signal.SIGKILL) -> None:
    try:
        os.killpg(process.pid, sig)
    except ProcessLookupError:
        return
    process.wait(timeout=30)


@pytest.fixture
def processes():
    started: list[subprocess.Popen] = []

    def start(command, log, **environment):
        started.append(_start(command, log, **environment))
        return started[-1]

    yield start
    for process in started:
        if process.poll() is None:
            _kill_group(process, signal.SIGTERM)


def _wait(condition, *, timeout: float, what: str, log: Path, every: float = 0.5) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}:\n{log.read_text()[-4000:]}")
        time.sleep(every)


# Beat in every mode ---------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("broker_url", _brokers())
def test_beat_starts_on_a_fresh_folder_whatever_the_broker(tmp_path, processes, broker_url):
    # given a checkout where nothing made the Celery folder yet (scale-out mode never did)
    fresh = tmp_path / "fresh" / "celery"
    log = tmp_path / "beat.log"

    # when beat starts
    beat = processes(
        [sys.executable, "-m", "celery", "-A", "supportdesk", "beat", "--loglevel", "INFO"],
        log,
        CELERY_DATA_DIR=str(fresh),
        CELERY_BROKER_URL=broker_url,
    )

    # then it keeps its schedule there and keeps running
    _wait(
        lambda: list(fresh.glob("beat-schedule*")) or beat.poll() is not None,
        timeout=START_TIMEOUT,
        what="the beat schedule file",
        log=log,
    )
    time.sleep(2)
    assert beat.poll() is None, log.read_text()[-4000:]
    assert "FileNotFoundError" not in log.read_text()


# kill -9 during the work ----------------------------------------------------------------------


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_work_killed_with_its_worker_completes_exactly_once_after_a_restart(
    tmp_path,
    processes,
    settings,
    small_knowledge_base,  # noqa: F811
):
    # Training stays tiny (three intents) and the task time limit short, so the lease of
    # the killed training run (how long it may still be running) expires within the test.
    limits = {"CELERY_TASK_TIME_LIMIT": "30", "CELERY_TASK_SOFT_TIME_LIMIT": "25"}
    settings.CELERY_TASK_TIME_LIMIT = 30
    markers = tmp_path / "markers"
    markers.mkdir()
    # given expired data for the purge, an access request and a training run under way
    RetentionPolicy.objects.update_or_create(
        category=RetentionPolicy.Category.SUBJECTS_IDLE,
        defaults={"duration_days": 30, "is_active": True},
    )
    expired = [DataSubjectFactory() for _ in range(5)]
    DataSubject.objects.filter(pk__in=[s.pk for s in expired]).update(
        updated_at=timezone.now() - timedelta(days=400)
    )
    data_subject_identify(name="Erika Mustermann", email="erika@example.org")
    slow_log = tmp_path / "slow-worker.log"
    slow = processes(
        [sys.executable, "-m", "tests.supportdesk.slow_worker", "--concurrency", "3"]
        + WORKER_FLAGS,
        slow_log,
        SLOW_WORKER_MARKERS=str(markers),
        **limits,
    )
    officer = UserFactory(role=roles.PRIVACY_OFFICER)
    request = data_request_create(kind="access", email="erika@example.org", created_by=officer)
    bot_model_train_task.delay("de")
    retention_purge_task.delay()
    _wait(
        lambda: {p.name for p in markers.iterdir()} == {"export", "training", "retention"},
        timeout=START_TIMEOUT,
        what="all three runs to be under way",
        log=slow_log,
    )

    # when the worker, main process and children, is killed -9 in the middle of all three
    _kill_group(slow)
    assert DataRequest.objects.get(pk=request.pk).status == DataRequest.Status.VERIFIED
    assert BotModel.objects.get().status == BotModel.Status.TRAINING
    assert PurgeRun.objects.get().finished_at is None

    # and a worker is started again (RabbitMQ redelivers what the dead one had not
    # acknowledged), with the sweeper running beside it as beat would
    log = tmp_path / "worker.log"
    processes(
        [sys.executable, "-m", "celery", "-A", "supportdesk", "worker", "--concurrency", "2"]
        + WORKER_FLAGS,
        log,
        **limits,
    )

    def finished() -> bool:
        jobs_sweep(stuck_after=0)  # as eager as possible: re-queued beside redeliveries
        return (
            DataRequest.objects.get(pk=request.pk).status == DataRequest.Status.COMPLETED
            and BotModel.objects.exclude(
                status__in=[BotModel.Status.TRAINING, BotModel.Status.FAILED]
            ).exists()
            and PurgeRun.objects.filter(finished_at__isnull=False).exists()
        )

    _wait(finished, timeout=FINISH_TIMEOUT, what="the three runs to complete", log=log, every=3)
    time.sleep(5)  # let any duplicate that was still queued run, to see it does nothing

    # then each completed exactly once
    assert DataExport.objects.get(request=request).status == DataExport.Status.READY
    assert AuditEvent.objects.filter(action="export.built").count() == 1
    trained = BotModel.objects.exclude(status=BotModel.Status.FAILED)
    assert trained.count() == 1 and trained.get().status != BotModel.Status.TRAINING
    killed = BotModel.objects.get(version=1)
    assert killed.status == BotModel.Status.FAILED and killed.error == INTERRUPTED_ERROR
    finished_runs = PurgeRun.objects.filter(finished_at__isnull=False)
    assert sum(run.counts.get("subjects_idle", 0) for run in finished_runs) == len(expired)
    assert not DataSubject.objects.filter(pk__in=[s.pk for s in expired]).exists()


@pytest.mark.django_db(transaction=True)
def test_an_access_request_killed_with_its_worker_on_any_broker_is_completed_once(
    tmp_path, processes
):
    # The first finding of the reliability test, on the broker of the suite (the embedded
    # filesystem broker forgets a task its worker took: only the sweeper brings it back).
    markers = tmp_path / "markers"
    markers.mkdir()
    data_subject_identify(name="Erika Mustermann", email="erika@example.org")
    slow_log = tmp_path / "slow-worker.log"
    slow = processes(
        [sys.executable, "-m", "tests.supportdesk.slow_worker", "--concurrency", "1"]
        + WORKER_FLAGS,
        slow_log,
        SLOW_WORKER_MARKERS=str(markers),
    )
    officer = UserFactory(role=roles.PRIVACY_OFFICER)
    request = data_request_create(kind="access", email="erika@example.org", created_by=officer)
    _wait(
        lambda: (markers / "export").exists(),
        timeout=START_TIMEOUT,
        what="the export",
        log=slow_log,
    )

    _kill_group(slow)
    log = tmp_path / "worker.log"
    processes(
        [sys.executable, "-m", "celery", "-A", "supportdesk", "worker", "--concurrency", "1"]
        + WORKER_FLAGS,
        log,
    )

    def completed() -> bool:
        call_command("sweep_jobs", "--stuck-after", "0", stdout=io.StringIO())
        return DataRequest.objects.get(pk=request.pk).status == DataRequest.Status.COMPLETED

    _wait(completed, timeout=FINISH_TIMEOUT, what="the request to complete", log=log, every=3)
    time.sleep(3)
    assert AuditEvent.objects.filter(action="export.built").count() == 1
    assert AuditEvent.objects.filter(action="data_request.requeued").exists()
