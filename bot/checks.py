from django.conf import settings
from django.core import checks

from bot.opening_hours import OpeningHoursError, opening_hours_parse
from platform_core.answer_markup import shop_base_url


@checks.register()
def check_opening_hours(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    try:
        opening_hours_parse(settings.SUPPORT_OPENING_HOURS)
    except OpeningHoursError as error:
        return [checks.Error(str(error), id="bot.E001")]
    return []


@checks.register()
def check_shop_base_url(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    # platform_core.answer_markup ignores an address that is not http(s): say so at start.
    if settings.SHOP_BASE_URL and not shop_base_url():
        return [
            checks.Warning(
                "SHOP_BASE_URL is not an http(s) address (scheme://host[/path]): relative "
                "links in bot answers stay plain text.",
                id="bot.W001",
            )
        ]
    return []
