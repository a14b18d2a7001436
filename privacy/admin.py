from django import forms
from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from privacy.models import (
    AuditEvent,
    ConsentRecord,
    DataExport,
    DataRequest,
    DataSubject,
    LegalHold,
    PolicyVersion,
    ProcessingActivity,
    ProcessingAgreement,
    Processor,
    PurgeRun,
    RedactionAllowedWord,
    RetentionPolicy,
)
from privacy.registry import active_channels
from privacy.selectors import channels_without_agreement
from privacy.services import (
    audit_record,
    data_request_create,
    legal_hold_place,
    legal_hold_release,
    register_entry_save,
)


class AuditedRegisterAdminMixin:
    """Register entries saved in the admin are validated and audited like API writes."""

    def save_model(self, request, obj, form, change):
        register_entry_save(instance=obj, acting_user=request.user, created=not change)


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
    list_filter = ["action", "target_type", "acting_user"]
    search_fields = ["action", "target_id", "subject_public_id", "acting_user__username"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(PolicyVersion)
class PolicyVersionAdmin(AuditedRegisterAdminMixin, admin.ModelAdmin):
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


@admin.register(RetentionPolicy)
class RetentionPolicyAdmin(AuditedRegisterAdminMixin, admin.ModelAdmin):
    list_display = ["category", "duration_days", "is_active", "updated_at"]
    list_editable = ["duration_days", "is_active"]

    def has_add_permission(self, request) -> bool:
        return False  # one row per category, created by migration

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(LegalHold)
class LegalHoldAdmin(admin.ModelAdmin):
    """Placing and releasing go through the audited services."""

    list_display = ["created_at", "subject", "reference", "reason", "released_at"]
    list_filter = ["released_at"]
    fields = ["subject", "reference", "reason"]
    raw_id_fields = ["subject"]
    actions = ["release"]

    def has_change_permission(self, request, obj=None) -> bool:
        return obj is None

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change):
        hold = legal_hold_place(
            acting_user=request.user,
            reason=obj.reason,
            subject=obj.subject,
            reference=obj.reference,
        )
        obj.pk = hold.pk

    @admin.action(description=_("Release the selected legal holds"))
    def release(self, request, queryset):
        for hold in queryset.filter(released_at__isnull=True):
            legal_hold_release(hold=hold, acting_user=request.user)


@admin.register(PurgeRun)
class PurgeRunAdmin(admin.ModelAdmin):
    list_display = ["started_at", "finished_at", "dry_run", "counts", "more_pending"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class DataRequestAdminForm(forms.ModelForm):
    email_entered = forms.EmailField(label=_("email"), required=True)

    class Meta:
        model = DataRequest
        fields = ["kind", "language"]


@admin.register(DataRequest)
class DataRequestAdmin(admin.ModelAdmin):
    """Staff open a request for a customer whose identity they verified; progress is shown."""

    list_display = ["created_at", "kind", "status", "due_at", "completed_at", "created_by"]
    list_filter = ["kind", "status"]
    form = DataRequestAdminForm

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["kind", "language", "email_entered"]
        return [
            "kind",
            "status",
            "language",
            "created_at",
            "due_at",
            "verified_at",
            "completed_at",
            "created_by",
            "result",
        ]

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj) if obj is not None else []

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change):
        created = data_request_create(
            kind=form.cleaned_data["kind"],
            email=form.cleaned_data["email_entered"],
            language=form.cleaned_data["language"],
            created_by=request.user,
        )
        obj.pk = created.pk


@admin.register(DataExport)
class DataExportAdmin(admin.ModelAdmin):
    list_display = ["created_at", "status", "size_bytes", "expires_at", "downloaded_at"]
    list_filter = ["status"]
    exclude = ["download_token_hash", "file_name"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class ChannelsWithoutAgreementWarningMixin:
    """Shows a warning on the register's lists while an active channel lacks an agreement."""

    def changelist_view(self, request, extra_context=None):
        missing = channels_without_agreement(active_channels=active_channels())
        if missing:
            messages.warning(
                request,
                _("Active channels without a processing agreement (Art. 28): %(channels)s")
                % {"channels": ", ".join(missing)},
            )
        return super().changelist_view(request, extra_context)


class SubProcessorInline(admin.TabularInline):
    model = Processor
    fk_name = "parent"
    fields = ["name", "country", "transfer_safeguard"]
    extra = 0
    verbose_name = _("sub-processor")
    verbose_name_plural = _("sub-processors")


@admin.register(Processor)
class ProcessorAdmin(
    AuditedRegisterAdminMixin, ChannelsWithoutAgreementWarningMixin, admin.ModelAdmin
):
    list_display = ["name", "channel", "country", "transfer_safeguard", "parent"]
    list_filter = ["channel", "transfer_safeguard"]
    search_fields = ["name"]
    inlines = [SubProcessorInline]


@admin.register(ProcessingAgreement)
class ProcessingAgreementAdmin(
    AuditedRegisterAdminMixin, ChannelsWithoutAgreementWarningMixin, admin.ModelAdmin
):
    list_display = ["processor", "status", "signed_at", "review_at", "document_link"]
    list_filter = ["status", "processor__channel"]
    search_fields = ["processor__name"]
    autocomplete_fields = ["processor"]

    @admin.display(description=_("signed document"))
    def document_link(self, obj):
        if not obj.signed_document:
            return "—"
        return format_html(
            '<a href="{}">{}</a>',
            reverse("privacy:agreement-document", args=[obj.pk]),
            _("Download"),
        )


@admin.register(ProcessingActivity)
class ProcessingActivityAdmin(AuditedRegisterAdminMixin, admin.ModelAdmin):
    list_display = ["name", "legal_basis", "retention_policy", "is_active", "updated_at"]
    list_filter = ["legal_basis", "is_active"]
    filter_horizontal = ["processors"]


@admin.register(RedactionAllowedWord)
class RedactionAllowedWordAdmin(AuditedRegisterAdminMixin, admin.ModelAdmin):
    list_display = ["word", "note", "created_at"]
    search_fields = ["word", "note"]
