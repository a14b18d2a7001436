"""Heartbeats: the retention purge and the sweeper record their runs in the database; the
health check and the privacy dashboard raise the alarm when one stopped running."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from platform_core.heartbeats import PURGE, SWEEP, job_heartbeat_record, job_heartbeat_states
from platform_core.models import JobHeartbeat
from privacy.tasks import retention_purge_task
from staff import roles
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

HOUR = 60 * 60


def _states(**kwargs) -> dict[str, bool]:
    return {state.name: state.ok for state in job_heartbeat_states(**kwargs)}


def test_the_retention_task_records_its_heartbeat_in_the_database():
    retention_purge_task()

    assert JobHeartbeat.objects.get(name=PURGE).last_run_at is not None


def test_a_fresh_installation_is_on_time_during_its_grace_period(settings):
    settings.JOB_HEARTBEAT_GRACE_SECONDS = 15 * 60
    first = timezone.now()
    assert _states(now=first) == {PURGE: True, SWEEP: True}

    # the purge runs hourly: twice its period plus the grace have not passed yet
    assert _states(now=first + timedelta(seconds=2 * HOUR + 14 * 60))[PURGE] is True


def test_a_job_that_never_ran_is_late_after_twice_its_period_and_the_grace(settings):
    settings.JOB_HEARTBEAT_GRACE_SECONDS = 15 * 60
    first = timezone.now()
    _states(now=first)

    later = _states(now=first + timedelta(seconds=2 * HOUR + 16 * 60))

    assert later == {PURGE: False, SWEEP: False}


def test_a_job_is_late_when_it_has_not_run_for_twice_its_period():
    ran = timezone.now()
    job_heartbeat_record(name=PURGE, now=ran)
    job_heartbeat_record(name=SWEEP, now=ran)

    assert _states(now=ran + timedelta(seconds=2 * HOUR - 60))[PURGE] is True
    assert _states(now=ran + timedelta(seconds=2 * HOUR + 60))[PURGE] is False
    # the sweeper runs every five minutes: late after ten
    assert _states(now=ran + timedelta(minutes=11))[SWEEP] is False


def _stop(name: str) -> None:
    """The job last ran a day ago: its beat stopped."""
    job_heartbeat_record(name=name, now=timezone.now() - timedelta(days=1))


def test_health_answers_503_when_the_purge_stopped(client):
    job_heartbeat_record(name=SWEEP)
    _stop(PURGE)

    response = client.get("/health/", HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 503
    failed = [check for check in response.json()["checks"] if not check["ok"]]
    assert [check["name"] for check in failed] == ["jobs.retention.purge"]
    assert "The retention purge has not run for twice its period" in failed[0]["summary"]


def test_the_heartbeat_survives_a_restart_because_it_is_in_the_database(client):
    job_heartbeat_record(name=PURGE)
    job_heartbeat_record(name=SWEEP)

    cache.clear()  # a restart empties every cache (locmem, or a restarted Redis)

    assert all(state.last_run_at is not None for state in job_heartbeat_states())
    assert client.get("/health/").status_code == 200


@pytest.fixture
def officer_client():
    client = Client()
    client.force_login(UserFactory(role=roles.PRIVACY_OFFICER))
    return client


def test_the_privacy_dashboard_raises_the_alarm_when_the_sweeper_stopped(officer_client):
    job_heartbeat_record(name=PURGE)
    _stop(SWEEP)

    page = officer_client.get("/privacy/dashboard/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "A periodic job stopped running" in page
    assert "The sweeper has not run for twice its period of 5 minutes" in page


def test_the_privacy_dashboard_says_the_jobs_run_on_time(officer_client):
    job_heartbeat_record(name=PURGE)
    job_heartbeat_record(name=SWEEP)

    page = officer_client.get("/privacy/dashboard/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "The retention purge and the sweeper run on time." in page
