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
        # Rounded here: number_format cuts digits off (80.08 would show as 80.0).
        number = round(float(value) * 100, int(decimals))
    except (TypeError, ValueError):
        return "—"
    # Translators: a percentage; German puts a space before the sign.
    return _("%(number)s%%") % {
        "number": formats.number_format(number, decimal_pos=int(decimals), use_l10n=True)
    }
