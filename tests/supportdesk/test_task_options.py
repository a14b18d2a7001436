"""Every task that moves a state a person sees is acknowledged late and rejected (so
redelivered) when its worker is lost; each is idempotent (tests/supportdesk/test_sweeper.py
and the app's own tests run them twice)."""

import importlib

import pytest
from django.conf import settings

from supportdesk.celery import app

# The worker imports these (autodiscovery); a test process only when asked.
for module in (
    "privacy.tasks",
    "bot.tasks",
    "bot.channels.tasks",
    "supportdesk.tasks",
    "helpcentre.tasks",
    "staff.tasks",
):
    importlib.import_module(module)

STATE_MOVING_TASKS = [
    "privacy.tasks.data_request_verification_send_task",
    "privacy.tasks.data_request_process_task",  # exports, erasures, objections
    "privacy.tasks.retention_purge_task",
    "privacy.tasks.agreement_reviews_check_task",
    "bot.tasks.bot_model_train_task",
    "bot.tasks.conversations_close_resolved_task",
    "bot.channels.tasks.delivery_send_task",
    "bot.channels.tasks.channels_housekeeping_task",
    "supportdesk.tasks.webhook_deliver_task",
    "supportdesk.tasks.jobs_sweep_task",
    "helpcentre.tasks.search_misses_purge_task",
    "staff.tasks.staff_sessions_expire_idle_task",
]


@pytest.mark.parametrize("name", STATE_MOVING_TASKS)
def test_a_task_that_moves_visible_state_is_redelivered_when_its_worker_is_lost(name):
    task = app.tasks[name]

    assert task.acks_late and task.reject_on_worker_lost


def test_every_beat_entry_names_a_registered_task():
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert entry["task"] in app.tasks


def test_the_sweeper_and_the_purge_run_from_beat():
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}

    assert {"supportdesk.tasks.jobs_sweep_task", "privacy.tasks.retention_purge_task"} <= tasks
