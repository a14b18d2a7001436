"""Figures for people: shares as localised percentages ("80 %", "80%"), never raw floats
such as 0.8008130081300813."""

from django import template
from django.utils import formats
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def percent(value, decimals: int = 0) -> str:
    """A share between 0 and 1 as a percentage in the active language; "—" when unknown."""
    if value is None or value == "":
        return "—"
    try:
        number = float(value) * 100
    except (TypeError, ValueError):
        return "—"
    # Translators: a percentage; German puts a space before the sign.
    return _("%(number)s%%") % {
        "number": formats.number_format(number, decimal_pos=int(decimals), use_l10n=True)
    }


@register.filter
def decimal(value, decimals: int = 2) -> str:
    """A plain number in the active language's format; "—" when unknown."""
    if value is None or value == "":
        return "—"
    return formats.number_format(float(value), decimal_pos=int(decimals), use_l10n=True)
