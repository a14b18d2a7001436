"""The readable report of an access export (report.html): for the customer, not for us.

data.json keeps the providers' machine-readable keys and ISO times; the report turns them
into translated headings and labels (each provider supplies its own, privacy.registry),
coded values into words, and times into the local time zone (TIME_ZONE) as a person
writes them, in German or English after the subject.
"""

import re
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from privacy.registry import PersonalDataProvider, provider_list, subject_language

_ISO_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
# Shares (the bot's confidence) read better as a percentage.
_PERCENT_KEYS = {"confidence"}


def report_language(*, subject, requested: str | None) -> str:
    """The language asked for (the data request's), else the subject's, else the default."""
    supported = dict(settings.LANGUAGES)
    for language in (requested, subject_language(subject) if subject is not None else None):
        if language and language[:2] in supported:
            return language[:2]
    return settings.LANGUAGE_CODE


def report_time(value: str) -> str:
    moment = datetime.fromisoformat(value)
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, UTC)
    return date_format(timezone.localtime(moment), "DATETIME_FORMAT")


class _Labels:
    def __init__(self, provider: PersonalDataProvider | None):
        self.labels = provider.labels if provider else {}
        self.values = provider.value_labels if provider else {}

    def key(self, key: str) -> str:
        return str(self.labels.get(key, key.replace("_", " ").capitalize()))

    def value(self, key: str, value: Any) -> str:
        if value is None or value == "" or value == []:
            return "—"
        if isinstance(value, bool):
            return _("Yes") if value else _("No")
        if isinstance(value, list):
            return ", ".join(self.value(key, item) for item in value)
        if key in self.values and value in self.values[key]:
            return str(self.values[key][value])
        if isinstance(value, float) and key in _PERCENT_KEYS:
            return f"{round(value * 100)} %"
        if isinstance(value, str) and _ISO_TIME.match(value):
            try:
                return report_time(value)
            except ValueError:
                return value
        return str(value)


def _is_records(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, dict) for item in value)


def _table(records: list[dict], labels: _Labels) -> dict:
    keys: list[str] = []
    for record in records:
        keys += [key for key, value in record.items() if key not in keys and not _is_nested(value)]
    return {
        "columns": [labels.key(key) for key in keys],
        "rows": [[labels.value(key, record.get(key)) for key in keys] for record in records],
    }


def _is_nested(value: Any) -> bool:
    return isinstance(value, dict) or (_is_records(value) and bool(value))


def _pairs(record: dict, labels: _Labels) -> list[tuple[str, str]]:
    return [
        (labels.key(key), labels.value(key, value))
        for key, value in record.items()
        if not _is_nested(value) and not _is_records(value)
    ]


def _group(key: str, records: list[dict], labels: _Labels) -> dict:
    """One category: a table of its records; records holding records of their own (a
    conversation and its messages) are shown one by one, each with its inner tables."""
    group = {"title": labels.key(key), "empty": not records, "table": None, "items": []}
    if any(_is_nested(value) for record in records for value in record.values()):
        for record in records:
            group["items"].append(
                {
                    "pairs": _pairs(record, labels),
                    "groups": [
                        _group(inner_key, inner, labels)
                        for inner_key, inner in record.items()
                        if _is_records(inner)
                    ],
                }
            )
    elif records:
        group["table"] = _table(records, labels)
    return group


def report_sections(export: dict) -> list[dict]:
    """The report's sections, one per provider: its own facts, then each category."""
    providers = {provider.name: provider for provider in provider_list()}
    sections = []
    names = sorted(
        export["data"],
        key=lambda name: providers[name].report_position if name in providers else 1000,
    )
    for name in names:
        data = export["data"][name]
        provider = providers.get(name)
        labels = _Labels(provider)
        data = data if isinstance(data, dict) else {name: data}
        sections.append(
            {
                "title": str(provider.title) if provider and provider.title else name,
                "pairs": _pairs(data, labels),
                "groups": [
                    _group(key, value, labels) for key, value in data.items() if _is_records(value)
                ],
            }
        )
    return sections
