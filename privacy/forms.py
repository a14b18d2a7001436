from django import forms
from django.utils.translation import gettext_lazy as _

from privacy.models import DataRequest


class DataRequestForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("What would you like?"), choices=DataRequest.Kind.choices, widget=forms.RadioSelect
    )
    email = forms.EmailField(
        label=_("The email address you used with us"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
