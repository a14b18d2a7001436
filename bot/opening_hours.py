"""Opening hours of the human team, from a setting like "mon-fri 08:00-18:00, sat 09:00-14:00".

Plain Python: the dialog engine tells an escalating customer when a person
will be there, in the operator's time zone.
"""

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta

DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
_RULE = re.compile(
    r"^\s*(?P<first>[a-z]{3})(?:\s*-\s*(?P<last>[a-z]{3}))?\s+"
    r"(?P<open>\d{1,2}:\d{2})\s*-\s*(?P<close>\d{1,2}:\d{2})\s*$"
)


class OpeningHoursError(ValueError):
    pass


@dataclass(frozen=True)
class OpeningRule:
    weekday: int  # Monday is 0
    opens: time
    closes: time


@functools.lru_cache(maxsize=16)  # read for every chat message; the spec rarely changes
def opening_hours_parse(spec: str) -> tuple[OpeningRule, ...]:
    """Rules from "mon-fri 08:00-18:00, sat 09:00-14:00"; an empty spec means always open."""
    rules = []
    for part in filter(None, (p.strip().lower() for p in spec.split(","))):
        match = _RULE.match(part)
        if not match or match["first"] not in DAYS or (match["last"] or "mon") not in DAYS:
            raise OpeningHoursError(
                f"Cannot read opening hours {part!r}: use 'mon-fri 08:00-18:00'."
            )
        first = DAYS.index(match["first"])
        last = DAYS.index(match["last"]) if match["last"] else first
        opens, closes = (
            time.fromisoformat(match["open"].zfill(5)),
            time.fromisoformat(match["close"].zfill(5)),
        )
        if closes <= opens:
            raise OpeningHoursError(f"{part!r}: closing time must be after opening time.")
        rules += [OpeningRule(day, opens, closes) for day in range(first, last + 1)]
    return tuple(rules)


def opening_hours_next_open(rules: Sequence[OpeningRule], now: datetime) -> datetime | None:
    """None when the team is there now (or no hours are configured), else when it opens next."""
    if not rules:
        return None
    for offset in range(8):
        day = now.date() + timedelta(days=offset)
        for rule in sorted((r for r in rules if r.weekday == day.weekday()), key=lambda r: r.opens):
            opens = datetime.combine(day, rule.opens, tzinfo=now.tzinfo)
            closes = datetime.combine(day, rule.closes, tzinfo=now.tzinfo)
            if offset == 0 and opens <= now < closes:
                return None
            if opens > now:
                return opens
    return None
