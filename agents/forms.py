"""Forms of the agents' pages: they validate shape only; the work is done by selectors."""

from datetime import timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from agents.models import Queue

# The analytics page shows the last 30 days unless asked otherwise; at most about a year,
# so one page view costs bounded work.
ANALYTICS_DEFAULT_DAYS = 30
ANALYTICS_MAX_DAYS = 366


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class AnalyticsFilterForm(forms.Form):
    since = forms.DateField(label=_("From"), widget=DateInput(), required=False)
    until = forms.DateField(label=_("To"), widget=DateInput(), required=False)
    queue = forms.ModelChoiceField(
        label=_("Queue"),
        queryset=Queue.objects.none(),
        required=False,
        empty_label=_("All queues"),
    )

    def __init__(self, *args, queues=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["queue"].queryset = queues if queues is not None else Queue.objects.all()

    def clean(self):
        cleaned = super().clean()
        until = cleaned.get("until") or timezone.localdate()
        since = cleaned.get("since") or until - timedelta(days=ANALYTICS_DEFAULT_DAYS - 1)
        if since > until:
            self.add_error("since", _("The start must not be after the end."))
        elif (until - since).days >= ANALYTICS_MAX_DAYS:
            self.add_error(
                "since",
                _("Choose at most %(days)s days.") % {"days": ANALYTICS_MAX_DAYS},
            )
        cleaned["since"], cleaned["until"] = since, until
        return cleaned

    @classmethod
    def defaults(cls) -> dict:
        until = timezone.localdate()
        return {
            "since": until - timedelta(days=ANALYTICS_DEFAULT_DAYS - 1),
            "until": until,
            "queue": None,
        }
