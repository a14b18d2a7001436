"""Heartbeats of the periodic jobs: when the retention purge and the sweeper last ran.

Each job records its run in the database (platform_core.JobHeartbeat), so a restart does not
forget it. A job is late when it has not run for twice its beat period; a job that never
ran is late only after a grace period from when it was first expected (a fresh
installation's beat runs an hourly job an hour after it starts). The health check in
platform_core/health.py reports late jobs, and the privacy dashboard shows them.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from platform_core.models import JobHeartbeat

PURGE = "retention.purge"
SWEEP = "sweeper"
# Heartbeat -> the beat entry (settings.CELERY_BEAT_SCHEDULE) that runs the job.
BEAT_ENTRIES = {PURGE: "retention-purge", SWEEP: "jobs-sweep"}


@dataclass(frozen=True)
class HeartbeatState:
    name: str
    ok: bool
    period_seconds: float
    last_run_at: datetime | None
    first_seen_at: datetime


def job_heartbeat_record(*, name: str, now: datetime | None = None) -> None:
    """The job `name` ran just now."""
    now = now or timezone.now()
    JobHeartbeat.objects.update_or_create(
        name=name,
        defaults={"last_run_at": now},
        create_defaults={"first_seen_at": now, "last_run_at": now},
    )


def job_period_seconds(name: str) -> float:
    """The beat period of the job, from its entry in the beat schedule."""
    schedule = settings.CELERY_BEAT_SCHEDULE[BEAT_ENTRIES[name]]["schedule"]
    if isinstance(schedule, int | float):
        return float(schedule)
    if isinstance(schedule, timedelta):
        return schedule.total_seconds()
    return schedule.run_every.total_seconds()  # a celery.schedules.schedule


def job_heartbeat_states(*, now: datetime | None = None) -> list[HeartbeatState]:
    """Each job's heartbeat, and whether it is on time. Starts the grace period of a job
    never seen before."""
    now = now or timezone.now()
    grace = timedelta(seconds=settings.JOB_HEARTBEAT_GRACE_SECONDS)
    states = []
    for name in BEAT_ENTRIES:
        beat, _created = JobHeartbeat.objects.get_or_create(
            name=name, defaults={"first_seen_at": now}
        )
        period = job_period_seconds(name)
        allowed = timedelta(seconds=2 * period)
        if beat.last_run_at is None:
            ok = now - beat.first_seen_at <= allowed + grace
        else:
            ok = now - beat.last_run_at <= allowed
        states.append(
            HeartbeatState(
                name=name,
                ok=ok,
                period_seconds=period,
                last_run_at=beat.last_run_at,
                first_seen_at=beat.first_seen_at,
            )
        )
    return states
