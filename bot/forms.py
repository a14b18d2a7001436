from django import forms
from django.utils.translation import gettext_lazy as _

from bot.models import FollowUp


class FollowUpForm(forms.Form):
    """The follow-up form (bot.follow_ups): one way back, only what it needs, consent."""

    method = forms.ChoiceField(
        label=_("How should we get back to you?"),
        choices=FollowUp.Method.choices,
        widget=forms.RadioSelect,
    )
    contact = forms.CharField(
        label=_("Your phone number or e-mail address, as you chose above"),
        max_length=254,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    preferred_time = forms.ChoiceField(
        label=_("When suits you best?"),
        choices=FollowUp.PreferredTime.choices,
        initial=FollowUp.PreferredTime.ANY,
        widget=forms.RadioSelect,
    )
    consent = forms.BooleanField(
        label=_(
            "I agree that you store this phone number or e-mail address to get back to me "
            "about my request, and for nothing else."
        ),
        required=True,
    )
