"""Forms of the agents' pages: they validate shape only; the work is done by selectors."""

from datetime import timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from agents.models import Queue
from agents.services import CANNED_TITLE_MAX_LENGTH
from bot.services import MESSAGE_TEXT_MAX_LENGTH

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
        label=pgettext_lazy("analytics", "Queue"),
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


class CannedResponseForm(forms.Form):
    """A new canned response. Errors are shown on their field: Django marks it
    (aria-invalid) and links the message (aria-describedby)."""

    title = forms.CharField(label=_("Title"), max_length=CANNED_TITLE_MAX_LENGTH)
    text = forms.CharField(
        label=_("Text"),
        max_length=MESSAGE_TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    language = forms.ChoiceField(
        label=_("Language"),
        required=False,
        choices=[("", _("every language")), ("de", _("German")), ("en", _("English"))],
    )
    queue = forms.ModelChoiceField(
        label=_("For"), queryset=Queue.objects.none(), required=False, empty_label=_("only me")
    )

    def __init__(self, *args, queues=None, **kwargs):
        # The ids the page has always used (the heading is "canned-title").
        super().__init__(*args, auto_id="canned-%s-input", **kwargs)
        self.fields["queue"].queryset = queues if queues is not None else Queue.objects.none()
