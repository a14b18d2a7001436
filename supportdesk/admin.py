from django import forms
from django.contrib import admin, messages
from django.contrib.admin.templatetags import admin_list
from django.contrib.auth import admin as auth_admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.templatetags.static import static
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from privacy.encrypted_admin import EncryptedValuesAdminMixin
from supportdesk.admin_actions import DeliveryRetryAdminMixin
from supportdesk.api_auth import api_key_create, api_key_revoke
from supportdesk.models import (
    API_SCOPES,
    WEBHOOK_EVENTS,
    ApiKey,
    OutboxEvent,
    WebhookDelivery,
    WebhookSubscription,
)
from supportdesk.outbox import outbox_event_retry
from supportdesk.sweeper import webhook_delivery_retry
from supportdesk.webhooks import webhook_personal_data_check, webhook_subscription_create


class ApiKeyCreateForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        label=_("scopes"),
        choices=[(scope, scope) for scope in API_SCOPES],
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Write includes read. Privacy scopes only work for a privacy officer."),
    )

    class Meta:
        model = ApiKey
        fields = ["name", "user", "scopes", "expires_at"]


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    """Creating a key shows its secret once; it is stored hashed and cannot be shown again."""

    list_display = ["name", "prefix", "user", "scopes", "expires_at", "last_used_at", "revoked_at"]
    list_filter = ["revoked_at"]
    search_fields = ["name", "prefix", "user__username"]
    actions = ["revoke"]
    form = ApiKeyCreateForm

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return ["name", "user", "scopes", "expires_at", "prefix", "last_used_at", "revoked_at"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["name", "user", "scopes", "expires_at"]
        return self.get_readonly_fields(request, obj)

    def has_change_permission(self, request, obj=None) -> bool:
        return obj is None or super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        key, secret = api_key_create(
            user=form.cleaned_data["user"],
            name=form.cleaned_data["name"],
            scopes=form.cleaned_data["scopes"],
            expires_at=form.cleaned_data["expires_at"],
        )
        obj.pk = key.pk
        messages.warning(
            request,
            _("The new key, shown only now (copy it): %(secret)s") % {"secret": secret},
        )

    @admin.action(description=_("Revoke the selected keys"))
    def revoke(self, request, queryset):
        for key in queryset:
            api_key_revoke(key=key)


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
    retry_permission = "supportdesk.change_webhookdelivery"

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
        return obj is None and request.user.has_perm("supportdesk.change_outboxevent")


# Permissions are stored with English names when the tables are created ("Can add log
# entry"), so Django's user and group forms showed them in English on German pages: the
# label is built when shown, from the translated model name.
PERMISSION_ACTIONS = {
    "add": _("Can add %(model)s"),
    "change": _("Can change %(model)s"),
    "delete": _("Can delete %(model)s"),
    "view": _("Can view %(model)s"),
}


def permission_label(permission: Permission) -> str:
    model = permission.content_type.model_class()
    if model is None:
        return str(permission)
    action, _separator, model_name = permission.codename.partition("_")
    if action in PERMISSION_ACTIONS and model_name == model._meta.model_name:
        name = PERMISSION_ACTIONS[action] % {"model": model._meta.verbose_name}
    else:
        # A model's own permissions: their names are marked for translation in Meta.
        name = gettext(permission.name)
    return f"{model._meta.app_config.verbose_name} | {model._meta.verbose_name} | {name}"


class TranslatedPermissionsAdminMixin:
    def formfield_for_manytomany(self, db_field, request, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if db_field.name in {"permissions", "user_permissions"}:
            field.label_from_instance = permission_label
        return field


class UserAdmin(TranslatedPermissionsAdminMixin, auth_admin.UserAdmin):
    pass


class GroupAdmin(TranslatedPermissionsAdminMixin, auth_admin.GroupAdmin):
    pass


admin.site.unregister(get_user_model())
admin.site.register(get_user_model(), UserAdmin)
admin.site.unregister(Group)
admin.site.register(Group, GroupAdmin)


def _boolean_icon(value: bool | None):
    """Django's yes/no icon, its text for screen readers in the page's language (Django
    writes alt="True" on every page; its lists, forms and read-only fields all draw the
    icon with this one function)."""
    icon = {True: "yes", False: "no", None: "unknown"}[value]
    text = {True: gettext("Yes"), False: gettext("No"), None: gettext("Unknown")}[value]
    return format_html('<img src="{}" alt="{}">', static(f"admin/img/icon-{icon}.svg"), text)


admin_list._boolean_icon = _boolean_icon
