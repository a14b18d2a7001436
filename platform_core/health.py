"""Health: one registry of checks, read by `/health/`, the admin and inbox banners and the
privacy dashboard, so a component that stops working is reported in one way everywhere.

An app registers its checks in `AppConfig.ready()`:

    health_check_register("bot.models", bot_model_health)

A check returns one `HealthResult` or a list of them (one per language, say). It must be
cheap (it runs on every `/health/` request and, cached, for staff pages), must not raise
(an exception is reported as a failed check) and never puts personal data in its summary.
"""

import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from django.core.cache import cache
from django.db import connection
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from platform_core.heartbeats import PURGE, SWEEP, job_heartbeat_states

logger = logging.getLogger(__name__)

# Staff pages show the failed checks from a short-lived cache, not a fresh run per page.
PROBLEMS_CACHE_KEY = "supportdesk:health:problems"
PROBLEMS_CACHE_SECONDS = 30


@dataclass(frozen=True)
class HealthResult:
    name: str  # stable machine name, e.g. "database", "bot.model.de"
    ok: bool
    summary: str  # one translated sentence for a person, no personal data
    details: dict = field(default_factory=dict)  # JSON-serialisable figures for machines


HealthCheck = Callable[[], HealthResult | list[HealthResult]]

_CHECKS: dict[str, HealthCheck] = {}


def health_check_register(name: str, check: HealthCheck) -> None:
    """Register (or replace) the check called `name`."""
    _CHECKS[name] = check


def database_health() -> HealthResult:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HealthResult(name="database", ok=True, summary=_("The database answers."))


def _run(name: str, check: HealthCheck) -> list[HealthResult]:
    try:
        outcome = check()
    except Exception as error:  # a broken check is itself a problem to report, not a 500
        logger.exception("Health check %s failed", name)
        return [
            HealthResult(
                name=name,
                ok=False,
                summary=_("The check could not run: %(error)s") % {"error": type(error).__name__},
            )
        ]
    return outcome if isinstance(outcome, list) else [outcome]


def health_report() -> list[HealthResult]:
    """Every registered check, run now."""
    results: list[HealthResult] = []
    for name, check in _CHECKS.items():
        results.extend(_run(name, check))
    return results


def health_problems(*, fresh: bool = False) -> list[HealthResult]:
    """The failed checks, from a cache of up to PROBLEMS_CACHE_SECONDS unless `fresh`."""
    if not fresh:
        cached = cache.get(PROBLEMS_CACHE_KEY)
        if cached is not None:
            return [HealthResult(**item) for item in cached]
    problems = [result for result in health_report() if not result.ok]
    cache.set(PROBLEMS_CACHE_KEY, [asdict(p) for p in problems], PROBLEMS_CACHE_SECONDS)
    return problems


JOB_LABELS = {PURGE: gettext_lazy("The retention purge"), SWEEP: gettext_lazy("The sweeper")}


def job_heartbeat_health() -> list[HealthResult]:
    """The retention purge and the sweeper each ran within twice their period (a dead
    beat or worker stops both: data past its retention stays, stuck work stays stuck)."""
    results = []
    for state in job_heartbeat_states():
        values = {"job": JOB_LABELS[state.name], "minutes": round(state.period_seconds / 60)}
        if state.ok and state.last_run_at is None:
            summary = _("%(job)s has not run yet (it runs every %(minutes)s minutes).") % values
        elif state.ok:
            summary = _("%(job)s runs every %(minutes)s minutes and ran on time.") % values
        elif state.last_run_at is None:
            summary = (
                _(
                    "%(job)s has never run: is the Celery beat running? "
                    "It runs every %(minutes)s minutes."
                )
                % values
            )
        else:
            summary = (
                _(
                    "%(job)s has not run for twice its period of %(minutes)s minutes: "
                    "is the Celery beat running?"
                )
                % values
            )
        results.append(
            HealthResult(
                name=f"jobs.{state.name}",
                ok=state.ok,
                summary=summary,
                details={
                    "last_run_at": state.last_run_at.isoformat() if state.last_run_at else None,
                    "period_seconds": state.period_seconds,
                },
            )
        )
    return results


health_check_register("database", database_health)
health_check_register("jobs", job_heartbeat_health)
