"""Query parameters shared by the API's list filters."""

from datetime import UTC, datetime

from django.utils import timezone
from django.utils.dateparse import parse_datetime


def datetime_param(value: str) -> datetime | None:
    """An ISO 8601 date and time as an aware UTC datetime; None if it is not one.

    Converted to UTC because PostgreSQL refuses offsets beyond ±15:59 that
    Python accepts (e.g. "+22:38").
    """
    try:
        moment = parse_datetime(value)
    except ValueError:
        return None
    if moment is None:
        return None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    try:
        return moment.astimezone(UTC)
    except (OverflowError, ValueError):
        return None
