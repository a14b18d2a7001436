from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from event_pipeline.models import WEBHOOK_EVENTS, OutboxEvent, WebhookDelivery, WebhookSubscription
from event_pipeline.outbox import outbox_event_retry
from event_pipeline.webhooks import (
    webhook_delivery_retry,
    webhook_personal_data_check,
    webhook_subscription_create,
)
from platform_core.admin_actions import DeliveryRetryAdminMixin
from privacy.encrypted_admin import EncryptedValuesAdminMixin


class WebhookSubscriptionForm(forms.ModelForm):
    events = forms.MultipleChoiceField(
        label=_("events"),
        choices=[(event, event) for event in WEBHOOK_EVENTS],
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = WebhookSubscription
        fields = ["name", "url", "events", "include_personal_data", "processor", "is_active"]


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(EncryptedValuesAdminMixin, admin.ModelAdmin):
    """The signing secret is shown once, when the subscription is created. A secret no
    configured key opens is reported on the page and kept as stored when it is saved."""

    list_display = ["name", "url", "events", "is_active", "consecutive_failures", "disabled_reason"]
    list_filter = ["is_active"]
    form = WebhookSubscriptionForm

    def save_model(self, request, obj, form, change):
        if change:
            if obj.include_personal_data:
                webhook_personal_data_check(processor=obj.processor)
            obj.full_clean()
            obj.save()
            return
        subscription, secret = webhook_subscription_create(
            name=form.cleaned_data["name"],
            url=form.cleaned_data["url"],
            events=form.cleaned_data["events"],
            include_personal_data=form.cleaned_data["include_personal_data"],
            processor=form.cleaned_data["processor"],
        )
        obj.pk = subscription.pk
        messages.warning(
            request,
            _("The signing secret, shown only now (copy it): %(secret)s") % {"secret": secret},
        )


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(DeliveryRetryAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "event", "subscription", "status", "attempts", "last_status_code"]
    list_filter = ["status", "event"]
    # The payload may hold a customer's message (encrypted at rest): the log shows what
    # happened to a delivery, never its content, so browsing it is no read of personal data.
    exclude = ["payload"]

    delivery_retry = webhook_delivery_retry
    retry_permission = "event_pipeline.change_webhookdelivery"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(OutboxEvent)
class OutboxEventAdmin(admin.ModelAdmin):
    """Events still waiting: being retried, or given up on after OUTBOX_MAX_ATTEMPTS
    (dispatched again from here once the cause is fixed). The actions may hold a message's
    text (encrypted at rest): not shown."""

    list_display = ["created_at", "kind", "attempts", "last_error", "failed_at", "claimed_until"]
    list_filter = ["kind", ("failed_at", admin.EmptyFieldListFilter)]
    exclude = ["actions", "reference"]
    actions = ["retry"]

    @admin.action(description=_("Dispatch the selected events again"), permissions=["change"])
    def retry(self, request, queryset) -> None:
        retried = sum(
            outbox_event_retry(event=event, acting_user=request.user) for event in queryset
        )
        self.message_user(
            request,
            ngettext(
                "%(count)d event will be dispatched again by the next sweep.",
                "%(count)d events will be dispatched again by the next sweep.",
                retried,
            )
            % {"count": retried},
            messages.SUCCESS if retried else messages.WARNING,
        )

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        # The action needs it; the change form itself shows nothing to change.
        return obj is None and request.user.has_perm("event_pipeline.change_outboxevent")
