from axes.admin import AccessAttemptAdmin
from axes.handlers.proxy import AxesProxyHandler
from axes.models import AccessAttempt
from django.contrib import admin, messages
from django.contrib.admin.options import ActionLocation
from django.contrib.auth import get_user_model, logout
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_otp.plugins.otp_static.admin import StaticDeviceAdmin
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.admin import TOTPDeviceAdmin
from django_otp.plugins.otp_totp.models import TOTPDevice

from platform_core.admin import UserAdmin
from staff.models import EncryptedTOTPDevice, StaffSession
from staff.services import second_factor_reset, staff_session_end


@admin.register(StaffSession)
class StaffSessionAdmin(admin.ModelAdmin):
    """Active staff sign-ins; ending one signs the browser out and closes its inbox."""

    list_display = ["user", "created_at", "last_seen_at", "browser"]
    list_filter = ["user"]
    search_fields = ["user__username"]
    fields = ["user", "created_at", "last_seen_at", "browser"]
    readonly_fields = fields
    actions = ["end_sessions"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description=_("End selected sessions"), permissions=["delete"])
    def end_sessions(self, request, queryset):
        self.delete_queryset(request, queryset)
        self.message_user(request, _("The sessions were ended."), messages.SUCCESS)

    def get_actions(self, request, action_location=ActionLocation.CHANGE_LIST):
        # "End selected sessions" says what deleting one does.
        actions = super().get_actions(request, action_location=action_location)
        actions.pop("delete_selected", None)
        return actions

    def delete_model(self, request, obj):
        self._end(request, obj)

    def delete_queryset(self, request, queryset):
        for staff_session in queryset:
            self._end(request, staff_session)

    @staticmethod
    def _end(request, staff_session: StaffSession) -> None:
        if staff_session.session_key == request.session.session_key:
            logout(request)  # one's own: signed out as by the sign-out button
            return
        staff_session_end(staff_session=staff_session, acting_user=request.user)


User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class StaffUserAdmin(UserAdmin):
    """Supportdesk's user admin (permissions named in the page's language) with the reset
    of a lost second factor."""

    actions = ["second_factor_reset"]

    @admin.action(description=_("Reset second factor (lost phone)"), permissions=["change"])
    def second_factor_reset(self, request, queryset):
        for user in queryset:
            second_factor_reset(user=user, acting_user=request.user)
        count = len(queryset)
        self.message_user(
            request,
            ngettext(
                "The second factor of %(count)d account was reset; it enrols again at its "
                "next sign-in.",
                "The second factors of %(count)d accounts were reset; they enrol again at "
                "their next sign-in.",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )


class TranslatedOTPDeviceAdminMixin:
    """django-otp's device admins with their section titles and search hint in the page's
    language (its field names: staff/otp_labels.py)."""

    search_help_text = _("Search by the user's username or email address.")
    FIELDSET_TITLES = {
        "Identity": _("Identity"),
        "Timestamps": _("Times"),
        "Configuration": _("Configuration"),
        "State": _("State"),
        "Throttling": _("Throttling after failed attempts"),
    }

    def get_fieldsets(self, request, obj=None):
        return [
            (self.FIELDSET_TITLES.get(title, title), options)
            for title, options in super().get_fieldsets(request, obj)
        ]


class StaffTOTPDeviceAdmin(TranslatedOTPDeviceAdminMixin, TOTPDeviceAdmin):
    pass


class StaffStaticDeviceAdmin(TranslatedOTPDeviceAdminMixin, StaticDeviceAdmin):
    pass


# django-otp's own TOTP devices (plain-text keys) are no longer used: their rows moved to
# EncryptedTOTPDevice (staff migration 0003).
admin.site.unregister(TOTPDevice)
admin.site.register(EncryptedTOTPDevice, StaffTOTPDeviceAdmin)
admin.site.unregister(StaticDevice)
admin.site.register(StaticDevice, StaffStaticDeviceAdmin)


class StaffAccessAttemptAdmin(AccessAttemptAdmin):
    """django-axes' lock-out list, its columns and its clean-up's message in the page's
    language (its own admin names them in English), the clean-up working."""

    @admin.display(description=_("expires at"))
    def expiration(self, attempt: AccessAttempt):
        return super().expiration(attempt)

    @admin.display(description=_("status"))
    def status(self, attempt: AccessAttempt):
        return super().status(attempt)

    @admin.action(description=_("Clean up expired attempts"))
    def cleanup_expired_attempts(self, request, queryset):
        # The clean-up measures the cool-down from the request's time, which axes sets only
        # on a sign-in: without it, django-axes' own action failed with a 500.
        AxesProxyHandler.update_request(request)
        count = self.handler.clean_expired_user_attempts(request=request)
        self.message_user(
            request,
            ngettext(
                "%(count)d expired access attempt was removed.",
                "%(count)d expired access attempts were removed.",
                count,
            )
            % {"count": count},
        )


if admin.site.is_registered(AccessAttempt):
    admin.site.unregister(AccessAttempt)
    admin.site.register(AccessAttempt, StaffAccessAttemptAdmin)
