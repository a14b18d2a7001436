from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from supportdesk.api_auth import api_key_create, api_key_revoke
from supportdesk.models import API_SCOPES, ApiKey


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
