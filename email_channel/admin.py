"""Admin of the mailboxes. The IMAP password is write-only (never rendered; an empty
field keeps it), like the messenger channels' credentials."""

from django import forms
from django.contrib import admin
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from email_channel.models import Mailbox
from privacy.encrypted_admin import EncryptedValuesAdminMixin

SECRET_FIELDS = ("imap_password",)


class MailboxForm(forms.ModelForm):
    class Meta:
        model = Mailbox
        fields = [
            "queue",
            "address",
            "is_active",
            "bot_auto_answer",
            "source",
            "imap_host",
            "imap_port",
            "imap_security",
            "imap_user",
            "imap_password",
            "imap_folder",
            "maildir_path",
            "signature_de",
            "signature_en",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["imap_password"]
        field.required = False
        field.widget = forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"})
        if self.instance.pk and self.instance.imap_password:
            field.help_text = _("Stored. Leave empty to keep it, or enter a new value.")

    @cached_property
    def changed_data(self) -> list[str]:
        return [
            name
            for name in super().changed_data
            if not (name in SECRET_FIELDS and not self.data.get(self.add_prefix(name)))
        ]

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("imap_password") and self.instance.pk:
            cleaned["imap_password"] = self.instance.imap_password
        source = cleaned.get("source")
        if source == Mailbox.Source.IMAP and not cleaned.get("imap_host"):
            self.add_error("imap_host", _("An IMAP mailbox needs its server."))
        if source == Mailbox.Source.MAILDIR and not cleaned.get("maildir_path"):
            self.add_error("maildir_path", _("A Maildir mailbox needs its folder."))
        return cleaned


@admin.register(Mailbox)
class MailboxAdmin(EncryptedValuesAdminMixin, admin.ModelAdmin):
    form = MailboxForm
    list_display = ["address", "queue", "source", "is_active", "last_fetched_at", "last_error"]
    list_filter = ["source", "is_active"]
    readonly_fields = ["last_fetched_at", "last_error"]
