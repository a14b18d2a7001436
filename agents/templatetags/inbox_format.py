"""How the inbox shows times: "just now" rather than "0 minutes"."""

from datetime import datetime, timedelta

from django import template
from django.utils import timezone
from django.utils.timesince import timesince
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def waited(value: datetime | None) -> str:
    """How long ago, for an escalation or a message: "just now" under a minute (Django's
    timesince says "0 minutes"), else "3 minutes", "1 hour, 5 minutes"; "—" when unknown."""
    if not value:
        return "—"
    if timezone.now() - value < timedelta(minutes=1):
        return _("just now")
    return timesince(value)


@register.filter
def escalated_ago(value: datetime | None) -> str:
    """ "escalated 5 minutes ago", "escalated just now" (never "escalated 0 minutes")."""
    if not value:
        return ""
    if timezone.now() - value < timedelta(minutes=1):
        return _("escalated just now")
    return _("escalated %(time)s ago") % {"time": timesince(value)}
