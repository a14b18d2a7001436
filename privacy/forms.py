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


class NoticePublishForm(forms.Form):
    language = forms.ChoiceField(
        label=_("language"), choices=[("de", "Deutsch"), ("en", "English")]
    )
    version = forms.CharField(label=_("version"), max_length=50)
    title = forms.CharField(label=_("title"), max_length=200)
    summary = forms.CharField(
        label=_("summary shown in the chat"), widget=forms.Textarea(attrs={"rows": 4})
    )
    text = forms.CharField(label=_("full text"), widget=forms.Textarea(attrs={"rows": 30}))
