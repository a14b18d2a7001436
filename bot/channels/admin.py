"""Admin of the messenger channels (registered from BotConfig.ready()).

Credentials are write-only here: the form never renders a stored value, and an
empty field keeps it. A channel is switched on and off with the actions, which
call the services (the agreement check, the audit row).
"""

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from bot.channels.delivery import channel_delivery_retry
from bot.channels.services import (
    ChannelError,
    channel_config_activate,
    channel_config_deactivate,
    channel_config_save,
    telegram_webhook_register,
)
from bot.models import ChannelConfig, ChannelDelivery, ChannelIdentity
from platform_core.admin_actions import DeliveryRetryAdminMixin
from privacy.crypto import EncryptionKeyError
from privacy.encrypted_admin import KEY_MISSING_HINT, EncryptedValuesAdminMixin
from privacy.selectors import channels_without_agreement

SECRET_FIELDS = ("access_token", "app_secret", "verify_token", "webhook_secret")


class ChannelConfigForm(forms.ModelForm):
    class Meta:
        model = ChannelConfig
        fields = ["channel", *SECRET_FIELDS, "account_id", "human_agent_tag"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Set by EncryptedValuesAdminMixin.get_object: stored, but no configured key opens it.
        self.unreadable = getattr(self.instance, "encrypted_unreadable", frozenset())
        for name in SECRET_FIELDS:
            field = self.fields[name]
            field.required = False
            field.widget = forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"})
            if name in self.unreadable:
                field.help_text = _(
                    "Stored, but none of the configured keys can decrypt it. Leave empty to "
                    "keep it until the missing key is back, or enter a new value."
                )
            elif self.instance.pk and getattr(self.instance, name):
                field.help_text = _("Stored. Leave empty to keep it, or enter a new value.")
        if self.instance.pk:
            self.fields["channel"].disabled = True

    @cached_property
    def changed_data(self) -> list[str]:
        # An empty credential field means "keep": not a change.
        return [
            name
            for name in super().changed_data
            if not (name in SECRET_FIELDS and not self.data.get(self.add_prefix(name)))
        ]

    def clean(self):
        cleaned = super().clean()
        for name in SECRET_FIELDS:
            # Kept as stored, including a value no key opens (an UndecryptedToken is
            # written back unchanged).
            if not cleaned.get(name) and self.instance.pk:
                cleaned[name] = getattr(self.instance, name)
        return cleaned


@admin.register(ChannelConfig)
class ChannelConfigAdmin(EncryptedValuesAdminMixin, admin.ModelAdmin):
    form = ChannelConfigForm
    list_display = ["channel", "is_active", "activated_at", "agreement", "webhook_url"]
    readonly_fields = ["is_active", "activated_at", "agreement", "webhook_url"]
    actions = ["activate", "deactivate", "register_telegram_webhook"]

    @admin.display(description=_("processing agreement"))
    def agreement(self, obj: ChannelConfig) -> str:
        if not obj.pk:
            return "—"
        if channels_without_agreement(active_channels=[obj.channel]):
            return str(_("missing: add an active agreement in the privacy register"))
        return str(_("active"))

    @admin.display(description=_("webhook URL"))
    def webhook_url(self, obj: ChannelConfig) -> str:
        if not obj.channel:
            return "—"
        path = reverse("bot_channels:webhook", args=[obj.channel])
        return settings.SITE_URL.rstrip("/") + path

    def save_model(self, request, obj, form, change) -> None:
        channel_config_save(
            config=obj, changed_fields=list(form.changed_data), acting_user=request.user
        )

    def has_delete_permission(self, request, obj=None) -> bool:
        return super().has_delete_permission(request, obj) and not (obj and obj.is_active)

    @admin.action(description=_("Activate the selected channels"))
    def activate(self, request, queryset) -> None:
        done = self._each(request, queryset, channel_config_activate)
        if done:
            self.message_user(
                request,
                ngettext("%(count)d channel activated.", "%(count)d channels activated.", done)
                % {"count": done},
            )

    @admin.action(description=_("Deactivate the selected channels"))
    def deactivate(self, request, queryset) -> None:
        done = self._each(request, queryset, channel_config_deactivate)
        if done:
            self.message_user(
                request,
                ngettext("%(count)d channel deactivated.", "%(count)d channels deactivated.", done)
                % {"count": done},
            )

    @admin.action(description=_("Register the webhook with Telegram"))
    def register_telegram_webhook(self, request, queryset) -> None:
        for config in queryset:
            try:
                url = telegram_webhook_register(config=config)
            except ChannelError as error:
                self.message_user(request, " ".join(error.messages), messages.ERROR)
            except EncryptionKeyError:
                self._key_missing(request, config)
            else:
                self.message_user(request, _("Telegram sends updates to %(url)s.") % {"url": url})

    def _each(self, request, queryset, service) -> int:
        """Run the service on each selected channel; refusals are shown, not raised."""
        done = 0
        for config in queryset:
            try:
                service(config=config, acting_user=request.user)
            except ChannelError as error:
                self.message_user(request, " ".join(error.messages), messages.ERROR)
            except EncryptionKeyError:
                self._key_missing(request, config)
            else:
                done += 1
        return done

    def _key_missing(self, request, config: ChannelConfig) -> None:
        self.message_user(
            request,
            _("%(channel)s: its credentials cannot be decrypted.") % {"channel": config}
            + " "
            + str(KEY_MISSING_HINT),
            messages.ERROR,
        )


@admin.register(ChannelIdentity)
class ChannelIdentityAdmin(admin.ModelAdmin):
    """Metadata only: platform ids, phone numbers and names are read in the audited inbox
    or a DSAR export, not here."""

    list_display = ["pk", "channel", "language", "created_at", "last_inbound_at", "identified"]
    list_filter = ["channel"]
    fields = ["channel", "language", "created_at", "last_inbound_at"]
    readonly_fields = fields

    @admin.display(boolean=True, description=_("identified"))
    def identified(self, obj: ChannelIdentity) -> bool:
        return obj.subject_id is not None

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ChannelDelivery)
class ChannelDeliveryAdmin(DeliveryRetryAdminMixin, admin.ModelAdmin):
    list_display = [
        "pk",
        "channel",
        "status",
        "failure_reason",
        "error_code",
        "attempts",
        "created_at",
    ]
    list_filter = ["status", "failure_reason", "identity__channel"]
    delivery_retry = channel_delivery_retry
    retry_permission = "bot.change_channeldelivery"

    fields = [
        "status",
        "failure_reason",
        "error_code",
        "attempts",
        "parts_sent",
        "next_attempt_at",
        "sent_at",
        "created_at",
    ]
    readonly_fields = fields

    @admin.display(description=_("channel"))
    def channel(self, obj: ChannelDelivery) -> str:
        return obj.identity.channel

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("identity")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
