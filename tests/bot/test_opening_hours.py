from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.dialog import DialogState, Escalation, dialog_escalate
from bot.opening_hours import OpeningHoursError, opening_hours_next_open, opening_hours_parse

BERLIN = ZoneInfo("Europe/Berlin")
SHOP = opening_hours_parse("mon-fri 08:00-18:00, sat 09:00-14:00")


def _at(day: int, hour: int, minute: int = 0) -> datetime:
    # 2026-11-23 is a Monday.
    return datetime(2026, 11, 23 + day, hour, minute, tzinfo=BERLIN)


@pytest.mark.parametrize(
    ("now", "next_open"),
    [
        (_at(0, 10), None),  # Monday morning: open
        (_at(0, 7, 59), _at(0, 8)),  # before opening
        (_at(0, 18), _at(1, 8)),  # closing time: tomorrow
        (_at(4, 19), _at(5, 9)),  # Friday evening: Saturday 9:00
        (_at(5, 14, 30), _at(7, 8)),  # Saturday afternoon: Monday
        (_at(6, 12), _at(7, 8)),  # Sunday: Monday
    ],
)
def test_the_next_opening_time(now, next_open):
    assert opening_hours_next_open(SHOP, now) == next_open


def test_no_hours_means_always_available():
    assert opening_hours_next_open(opening_hours_parse(""), _at(6, 3)) is None


@pytest.mark.parametrize("spec", ["monday 8-18", "mon-fri 18:00-08:00", "xyz 08:00-10:00"])
def test_unreadable_hours_are_refused_with_a_clear_error(spec):
    with pytest.raises(OpeningHoursError, match="mon-fri|after"):
        opening_hours_parse(spec)


def test_outside_opening_hours_the_handover_says_when_the_team_is_back():
    state = DialogState(
        language="de",
        status="bot",
        team_available_at=_at(7, 8),
    )

    result = dialog_escalate(state=state)

    assert result.escalate_reason == Escalation.CUSTOMER_REQUEST
    assert "Montag, 08:00" in result.replies[0].text


def test_a_bad_opening_hours_setting_fails_the_system_check(settings):
    from bot.checks import check_opening_hours

    settings.SUPPORT_OPENING_HOURS = "always"

    assert [error.id for error in check_opening_hours()] == ["bot.E001"]
