import uuid

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext, gettext_noop, ngettext
from django.utils.translation import gettext_lazy as _

from privacy.models import (
    AuditEvent,
    ConsentRecord,
    DataExport,
    DataRequest,
    DataSubject,
    ErasureLedgerEntry,
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
    data_request_retry,
    legal_hold_place,
    legal_hold_release,
    register_entry_save,
    subject_merge,
    subject_search_by_email,
)


class SubjectMergeForm(forms.Form):
    reason = forms.CharField(
        label=_("How did you check that both are the same person?"), max_length=500
    )


class AuditedRegisterAdminMixin:
    """Register entries saved in the admin are validated and audited like API writes."""

    def save_model(self, request, obj, form, change):
        register_entry_save(instance=obj, acting_user=request.user, created=not change)


@admin.register(DataSubject)
class DataSubjectAdmin(admin.ModelAdmin):
    """Lists show only opaque ids; opening a subject shows its identity and is audited."""

    list_display = ["public_id", "email_verified_via", "created_at", "updated_at"]
    list_filter = ["email_verified_via"]
    readonly_fields = [
        "public_id",
        "email_index",
        "email_verified_at",
        "email_verified_via",
        "created_at",
        "updated_at",
    ]
    fields = [
        "public_id",
        "name",
        "email",
        "phone",
        "email_verified_at",
        "email_verified_via",
        "created_at",
        "updated_at",
    ]
    # The identity fields are encrypted: an email is found through its blind index
    # (subject_search_by_email, audited), anything else as the public id.
    search_fields = ["public_id"]
    search_help_text = _("Enter a customer's full email address (the search is logged) or an id.")
    actions = ["merge_claim"]

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        if "@" in term:
            found = subject_search_by_email(email=term, acting_user=request.user)
            return queryset.filter(pk__in=[subject.pk for subject in found]), False
        try:
            return queryset.filter(public_id=uuid.UUID(term)), False
        except ValueError:
            return queryset.none(), False

    def has_merge_permission(self, request) -> bool:
        return request.user.has_perm("privacy.merge_data_subjects")

    @admin.action(
        description=_("Merge an unverified identity into the verified customer (audited)"),
        permissions=["merge"],
    )
    def merge_claim(self, request, queryset):
        """Staff checked who the person is (a call, an ID): their unverified chat identity
        joins their verified one. Asks for the reason on a confirmation page first."""
        subjects = list(queryset)
        claims = [subject for subject in subjects if not subject.is_verified]
        verified = [subject for subject in subjects if subject.is_verified]
        if len(claims) != 1 or len(verified) != 1:
            self.message_user(
                request,
                _("Select exactly one unverified and one verified customer."),
                messages.ERROR,
            )
            return None
        form = SubjectMergeForm(request.POST if "reason" in request.POST else None)
        if form.is_bound and form.is_valid():
            try:
                subject_merge(
                    source=claims[0],
                    target=verified[0],
                    acting_user=request.user,
                    reason=form.cleaned_data["reason"],
                )
            except ValidationError as error:
                self.message_user(request, " ".join(error.messages), messages.ERROR)
                return None
            self.message_user(request, _("The identities were merged."), messages.SUCCESS)
            return None
        return TemplateResponse(
            request,
            "admin/privacy/datasubject/merge_confirm.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Merge identities"),
                "opts": self.model._meta,
                "form": form,
                "claim": claims[0],
                "verified": verified[0],
                "selected": [subject.pk for subject in subjects],
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            },
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        subject = self.get_object(request, object_id)
        if subject is not None and request.method == "GET":
            audit_record(
                action="subject.viewed",
                acting_user=request.user,
                target=subject,
                reason_code=AuditEvent.Reason.OPERATOR,
                reason=gettext_noop("Opened in the admin"),
            )
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    # The code's label (get_reason_code_display), then the redacted note.
    list_display = [
        "created_at",
        "action",
        "acting_user",
        "target_type",
        "target_id",
        "reason_code",
        "note",
    ]
    list_filter = ["action", "reason_code", "target_type", "acting_user"]
    search_fields = ["action", "target_id", "subject_public_id", "acting_user__username"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=AuditEvent._meta.get_field("reason").verbose_name)
    def note(self, obj):
        """The system's own notes are stored untranslated (gettext_noop) and shown in the
        reader's language; a note staff typed shows as written."""
        return gettext(obj.reason) if obj.reason else ""


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

    list_display = [
        "created_at",
        "kind",
        "status",
        "source",
        "source_channel",
        "due_at",
        "completed_at",
        "created_by",
    ]
    list_filter = ["kind", "status", "source", "source_channel"]
    form = DataRequestAdminForm
    actions = ["retry"]

    @admin.action(
        description=_("Retry the selected requests (queue processing again)"),
        permissions=["retry"],
    )
    def retry(self, request, queryset) -> None:
        # Verified (stuck) and failed ones only; each retry is audited.
        retried = sum(
            data_request_retry(request=item, acting_user=request.user)
            for item in queryset.select_related("subject")
        )
        self.message_user(
            request,
            ngettext("%(count)d request queued again.", "%(count)d requests queued again.", retried)
            % {"count": retried},
            messages.SUCCESS if retried else messages.WARNING,
        )

    def has_retry_permission(self, request) -> bool:
        return request.user.has_perm("privacy.change_datarequest")

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["kind", "language", "email_entered"]
        return [
            "kind",
            "status",
            "language",
            "source",
            "source_channel",
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


class EncryptedFileInput(forms.ClearableFileInput):
    """A file input for an EncryptedFileSystemStorage field: the stored file is linked to
    an audited download view, never to its (non-existent) public URL."""

    def __init__(self, *args, download_url: str = "", **kwargs) -> None:
        self.download_url = download_url
        super().__init__(*args, **kwargs)

    def is_initial(self, value) -> bool:
        # The parent asks for value.url, which an encrypted storage refuses (ValueError).
        return False

    def render(self, name, value, attrs=None, renderer=None):
        upload = super().render(name, value, attrs, renderer)
        if not value or not self.download_url:
            return upload
        return format_html(
            '<p class="file-upload">{}: <a href="{}">{}</a><br>{}: {}</p>',
            _("Currently"),
            self.download_url,
            str(value).rsplit("/", 1)[-1],
            _("Replace with"),
            upload,
        )


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

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        field = form.base_fields.get("signed_document")
        if field is not None:
            download_url = (
                reverse("privacy:agreement-document", args=[obj.pk])
                if obj is not None and obj.signed_document
                else ""
            )
            field.widget = EncryptedFileInput(download_url=download_url)
        return form

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
    # "__str__": a seeded name in the reader's language (the form edits the stored text).
    list_display = [
        "__str__",
        "legal_basis",
        "retention_policy",
        "is_ai_system",
        "is_active",
        "updated_at",
    ]
    list_filter = ["legal_basis", "is_ai_system", "is_active"]
    filter_horizontal = ["processors"]


@admin.register(ErasureLedgerEntry)
class ErasureLedgerEntryAdmin(admin.ModelAdmin):
    """Who was erased when (opaque ids only), for `manage.py erasure_replay`: read-only."""

    list_display = ["erased_at", "subject_public_id"]
    date_hierarchy = "erased_at"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(RedactionAllowedWord)
class RedactionAllowedWordAdmin(AuditedRegisterAdminMixin, admin.ModelAdmin):
    list_display = ["word", "note", "created_at"]
    search_fields = ["word", "note"]
