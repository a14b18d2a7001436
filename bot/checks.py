from django.conf import settings
from django.core import checks

from bot.opening_hours import OpeningHoursError, opening_hours_parse


@checks.register()
def check_opening_hours(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    try:
        opening_hours_parse(settings.SUPPORT_OPENING_HOURS)
    except OpeningHoursError as error:
        return [checks.Error(str(error), id="bot.E001")]
    return []
