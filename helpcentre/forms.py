from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from bot.chat import identity_fields_required
from privacy.models import ConsentRecord

SUBJECT_MAX_LENGTH = 200
# With the subject, within the chat's message limit (bot.services.MESSAGE_TEXT_MAX_LENGTH).
MESSAGE_MAX_LENGTH = 3500
IDENTITY_FORM_FIELDS = {
    "name": lambda: forms.CharField(
        label=_("Name"), max_length=200, widget=forms.TextInput(attrs={"autocomplete": "name"})
    ),
    "email": lambda: forms.EmailField(
        label=_("Email"), max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    ),
    "phone": lambda: forms.CharField(
        label=_("Phone"), max_length=40, widget=forms.TextInput(attrs={"autocomplete": "tel"})
    ),
}


class ContactForm(forms.Form):
    """Subject and message, exactly the identity fields the chat asks for, and consent."""

    subject = forms.CharField(label=_("Subject"), max_length=SUBJECT_MAX_LENGTH)
    message = forms.CharField(
        label=_("Your message"),
        max_length=MESSAGE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    # Beside the send button, below the suggestions: outside the <form> element, in it by
    # the `form` attribute (the suggestions' own buttons post elsewhere).
    consent = forms.BooleanField(
        label=_("I agree to the privacy policy."),
        widget=forms.CheckboxInput(attrs={"form": "contact-form"}),
    )
    # Not needed to answer, so asked on its own, unticked (Art. 7(4) GDPR).
    bot_improvement = forms.BooleanField(
        label=ConsentRecord.Purpose.BOT_IMPROVEMENT.label,
        required=False,
        widget=forms.CheckboxInput(attrs={"form": "contact-form"}),
    )
    policy_version = forms.CharField(widget=forms.HiddenInput, max_length=50)
    # Set by the page when it showed matching answers (server-rendered or by its script).
    suggestions_shown = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Minimisation as in chat: only the fields the operator configured.
        fields = {name: IDENTITY_FORM_FIELDS[name]() for name in identity_fields_required()}
        ordered = {"subject": self.fields.pop("subject"), "message": self.fields.pop("message")}
        self.fields = {**fields, **ordered, **self.fields}

    def consent_purposes(self) -> tuple[str, ...]:
        """The optional purposes ticked (the request itself is always covered)."""
        return (
            (ConsentRecord.Purpose.BOT_IMPROVEMENT,) if self.cleaned_data["bot_improvement"] else ()
        )

    def identity(self) -> dict[str, str]:
        return {name: self.cleaned_data[name] for name in identity_fields_required()}


class SuggestInputForm(forms.Form):
    """The contact form's live suggestions: what the customer typed so far."""

    text = forms.CharField(max_length=SUBJECT_MAX_LENGTH + MESSAGE_MAX_LENGTH)
    language = forms.ChoiceField(choices=lambda: settings.LANGUAGES)
