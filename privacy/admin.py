from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from privacy.models import AuditEvent, ConsentRecord, DataSubject, PolicyVersion
from privacy.services import audit_record


@admin.register(DataSubject)
class DataSubjectAdmin(admin.ModelAdmin):
    """Lists show only opaque ids; opening a subject shows its identity and is audited."""

    list_display = ["public_id", "created_at", "updated_at"]
    readonly_fields = ["public_id", "email_index", "created_at", "updated_at"]
    fields = ["public_id", "name", "email", "phone", "created_at", "updated_at"]
    # No search: the identity fields are encrypted. Find a subject through a DSAR by email.

    def change_view(self, request, object_id, form_url="", extra_context=None):
        subject = self.get_object(request, object_id)
        if subject is not None and request.method == "GET":
            audit_record(
                action="subject.viewed",
                acting_user=request.user,
                target=subject,
                reason=_("Opened in the admin"),
            )
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["created_at", "action", "acting_user", "target_type", "target_id", "reason"]
    list_filter = ["action"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(PolicyVersion)
class PolicyVersionAdmin(admin.ModelAdmin):
    list_display = ["title", "version", "language", "effective_at", "is_active"]
    list_filter = ["language", "is_active"]


@admin.register(ConsentRecord)
class ConsentRecordAdmin(admin.ModelAdmin):
    """Proof of consent: read-only, never edited by hand."""

    list_display = ["granted_at", "policy_version", "channel", "purposes", "withdrawn_at"]
    list_filter = ["channel", "policy_version"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
