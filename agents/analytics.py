"""The supervisors' analytics: the figures of a period (selectors) drawn as charts, and
the same figures as CSV rows.

Everything here is computed from conversation metadata, counts and intent titles; no
customer's name, address or text reaches a chart or the export. The bot's own figures
(automation, answer precision, top intents) describe the bot and cover every queue; the
queue filter narrows the team's figures (volume, reasons, times, satisfaction).
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from django.utils import formats
from django.utils.translation import get_language, pgettext, pgettext_lazy
from django.utils.translation import gettext as _

from agents import charts
from agents.models import Queue
from agents.selectors import (
    DURATION_BUCKET_LABELS,
    Durations,
    Satisfaction,
    analytics_escalation_reasons,
    analytics_first_response,
    analytics_resolution,
    analytics_satisfaction_per_agent,
    analytics_satisfaction_per_queue,
    analytics_top_intents,
    analytics_volume_by_channel,
    analytics_volume_by_hour,
)
from bot.selectors import analytics_daily, analytics_suggestion_choices
from bot.templatetags.bot_figures import percent

# Translators: a PHP-style date format (Django's "date" filter) for a chart's day axis.
DAY_AXIS_FORMAT = pgettext_lazy("chart axis", "n/j")


def number(value: float, decimals: int = 0) -> str:
    """A figure in the page's language: "1.234" or "4,5" in German, "1,234" in English."""
    return formats.number_format(
        round(value, decimals), decimal_pos=decimals, use_l10n=True, force_grouping=True
    )


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    minutes = round(seconds / 60)
    if seconds < 60:
        return _("%(n)s s") % {"n": number(seconds)}
    if minutes < 60:
        return _("%(n)s min") % {"n": number(minutes)}
    if minutes < 24 * 60:
        return _("%(h)s h %(m)s min") % {"h": number(minutes // 60), "m": number(minutes % 60)}
    return _("%(d)s d %(h)s h") % {
        "d": number(minutes // (24 * 60)),
        "h": number(minutes % (24 * 60) // 60),
    }


def rating(value: float) -> str:
    return _("%(rating)s of 5") % {"rating": number(value, 1)}


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@dataclass(frozen=True)
class AnalyticsReport:
    since: date
    until: date
    queue: Queue | None
    days: list[dict]
    totals: dict
    reasons: list[tuple[str, str, int]]
    channels: list[tuple[str, str, int]]
    hours: list[int]
    first_response: Durations
    resolution: Durations
    satisfaction_agents: list[Satisfaction]
    satisfaction_queues: list[Satisfaction]
    top_intents: list[tuple[str, str, int]]


def analytics_report(*, since: date, until: date, queue: Queue | None = None) -> AnalyticsReport:
    period = {"since": since, "until": until}
    team = {**period, "queue": queue}
    days = analytics_daily(**period)
    conversations = sum(day["conversations"] for day in days)
    automated = sum(day["automated"] for day in days)
    helpful = sum(day["feedback_helpful"] for day in days)
    rated = helpful + sum(day["feedback_unhelpful"] for day in days)
    model_answers = sum(day["model_answers"] for day in days)
    fallback_answers = sum(day["fallback_answers"] for day in days)
    ratings = sum(day["csat_count"] for day in days)
    choices = analytics_suggestion_choices(**period)
    return AnalyticsReport(
        since=since,
        until=until,
        queue=queue,
        days=days,
        totals={
            "conversations": conversations,
            "automated": automated,
            "automation_rate": _share(automated, conversations),
            "answer_precision": _share(helpful, rated),
            "rated_answers": rated,
            "fallback_answers": fallback_answers,
            "fallback_share": _share(fallback_answers, model_answers + fallback_answers),
            "degraded_answers": sum(day["degraded_answers"] for day in days),
            # "Did you mean …?" choices taken, and the share where the bot's first guess was it.
            "suggestions_chosen": choices["chosen"],
            "suggestion_first_share": _share(choices["first_chosen"], choices["chosen"]),
            "ratings": ratings,
            "csat_average": (
                sum(day["csat_average"] * day["csat_count"] for day in days if day["csat_count"])
                / ratings
                if ratings
                else None
            ),
        },
        reasons=analytics_escalation_reasons(**team),
        channels=analytics_volume_by_channel(**team),
        hours=analytics_volume_by_hour(**team),
        first_response=analytics_first_response(**team),
        resolution=analytics_resolution(**team),
        satisfaction_agents=analytics_satisfaction_per_agent(**team),
        satisfaction_queues=analytics_satisfaction_per_queue(**team),
        top_intents=analytics_top_intents(**period, language=get_language() or "de"),
    )


def analytics_charts(report: AnalyticsReport) -> dict[str, charts.Chart]:
    """Every chart of the page, keyed by its place; labels and figures in the active
    language."""
    # The axis shows short days ("11/7", "7.11."); the table the full date.
    axis_days = [formats.date_format(day["day"], str(DAY_AXIS_FORMAT)) for day in report.days]
    day_labels = [formats.date_format(day["day"], "SHORT_DATE_FORMAT") for day in report.days]
    return {
        "daily": charts.line_chart(
            day_labels,
            [
                (
                    "automation_rate",
                    _("Automation"),
                    [day["automation_rate"] for day in report.days],
                ),
                (
                    "answer_precision",
                    _("Answer precision"),
                    [day["answer_precision"] for day in report.days],
                ),
                (
                    "fallback_share",
                    _("answers from the keyword fallback"),
                    [day["fallback_share"] for day in report.days],
                ),
            ],
            display=percent,
            head=[
                _("Day"),
                _("Automation"),
                _("Answer precision"),
                _("answers from the keyword fallback"),
            ],
            label_every=max(1, len(day_labels) // 5),
            axis_labels=axis_days,
        ),
        "channels": charts.bar_chart(
            [(label, count) for _code, label, count in report.channels],
            display=number,
            head=[_("Channel"), _("Conversations")],
        ),
        "hours": charts.column_chart(
            [(f"{hour:02d}", count) for hour, count in enumerate(report.hours)],
            display=number,
            head=[_("Hour of the day"), _("Conversations")],
            label_every=3,
        ),
        "reasons": charts.bar_chart(
            [(label, count) for _code, label, count in report.reasons],
            display=number,
            head=[_("Reason"), _("Escalations")],
        ),
        "first_response": charts.bar_chart(
            list(zip(map(str, DURATION_BUCKET_LABELS), report.first_response.buckets, strict=True)),
            display=number,
            head=[_("First reply after"), _("Conversations")],
        ),
        "resolution": charts.bar_chart(
            list(zip(map(str, DURATION_BUCKET_LABELS), report.resolution.buckets, strict=True)),
            display=number,
            head=[_("Resolved after"), _("Conversations")],
        ),
        "satisfaction_agents": charts.bar_chart(
            [(item.name, item.average) for item in report.satisfaction_agents],
            display=rating,
            head=[_("Agent"), _("Average rating")],
            maximum=5,
        ),
        "satisfaction_queues": charts.bar_chart(
            [(item.name, item.average) for item in report.satisfaction_queues],
            display=rating,
            head=[pgettext("analytics", "Queue"), _("Average rating")],
            maximum=5,
        ),
        "top_intents": charts.bar_chart(
            [(title, count) for _slug, title, count in report.top_intents],
            display=number,
            head=[_("Intent"), _("Answers")],
        ),
    }


def _cell(value: object) -> object:
    """A text a spreadsheet would run as a formula ("=HYPERLINK(…)" as a queue name) is
    quoted; numbers pass as they are."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def analytics_csv_rows(report: AnalyticsReport) -> Iterator[list]:
    """The report as rows of (figure, key, value) for a spreadsheet: machine-readable
    values (ISO dates, seconds, shares between 0 and 1), the same in every language."""
    for row in _analytics_rows(report):
        yield [_cell(value) for value in row]


def _analytics_rows(report: AnalyticsReport) -> Iterator[list]:
    yield ["figure", "key", "value"]
    yield ["period", "since", report.since.isoformat()]
    yield ["period", "until", report.until.isoformat()]
    yield ["period", "queue", report.queue.slug if report.queue else ""]
    for key, value in report.totals.items():
        yield ["total", key, "" if value is None else value]
    for day in report.days:
        for key in (
            "conversations",
            "automated",
            "automation_rate",
            "answer_precision",
            "bot_answers",
            "fallback_answers",
            "csat_count",
            "csat_average",
        ):
            yield [f"daily_{key}", day["day"].isoformat(), "" if day[key] is None else day[key]]
    for code, _label, count in report.channels:
        yield ["conversations_by_channel", code, count]
    for hour, count in enumerate(report.hours):
        yield ["conversations_by_hour", f"{hour:02d}", count]
    for code, _label, count in report.reasons:
        yield ["escalation_reason", code, count]
    for name, durations in (
        ("first_response", report.first_response),
        ("resolution", report.resolution),
    ):
        yield [f"{name}_seconds", "count", durations.count]
        yield [f"{name}_seconds", "median", "" if durations.median is None else durations.median]
        yield [f"{name}_seconds", "average", "" if durations.average is None else durations.average]
    for item in report.satisfaction_agents:
        yield ["satisfaction_by_agent", item.name, item.average]
    for item in report.satisfaction_queues:
        yield ["satisfaction_by_queue", item.name, item.average]
    for slug, _title, count in report.top_intents:
        yield ["bot_answers_by_intent", slug, count]
