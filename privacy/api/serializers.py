from rest_framework import serializers

from platform_core.api_serializers import ModelInvariantsSerializer
from privacy.models import (
    AuditEvent,
    ConsentRecord,
    DataRequest,
    PolicyVersion,
    ProcessingActivity,
    ProcessingAgreement,
    Processor,
    RetentionPolicy,
)


class PolicyVersionSerializer(ModelInvariantsSerializer):
    class Meta:
        model = PolicyVersion
        fields = [
            "id",
            "language",
            "version",
            "title",
            "summary",
            "text",
            "effective_at",
            "is_active",
            "created_at",
        ]
        read_only_fields = ["id", "created_at"]


class ConsentRecordSerializer(serializers.ModelSerializer):
    policy_version = serializers.SlugRelatedField(slug_field="version", read_only=True)
    policy_language = serializers.CharField(source="policy_version.language", read_only=True)
    subject = serializers.UUIDField(source="subject.public_id", read_only=True, allow_null=True)

    class Meta:
        model = ConsentRecord
        fields = [
            "id",
            "reference",
            "subject",
            "policy_version",
            "policy_language",
            "purposes",
            "channel",
            "granted_at",
            "withdrawn_at",
        ]


class ProcessorSerializer(ModelInvariantsSerializer):
    class Meta:
        model = Processor
        fields = [
            "id",
            "name",
            "address",
            "contact",
            "dpo_contact",
            "channel",
            "parent",
            "country",
            "transfer_safeguard",
        ]


class ProcessingAgreementSerializer(ModelInvariantsSerializer):
    has_signed_document = serializers.SerializerMethodField()

    class Meta:
        model = ProcessingAgreement
        fields = [
            "id",
            "processor",
            "subject_matter",
            "duration",
            "nature_and_purpose",
            "data_categories",
            "subject_categories",
            "retention_terms",
            "technical_measures",
            "controller_rights_duties",
            "processor_rights_duties",
            "third_country_transfers",
            "signed_at",
            "review_at",
            "status",
            "has_signed_document",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]

    def get_has_signed_document(self, obj: ProcessingAgreement) -> bool:
        return bool(obj.signed_document)


class ProcessingActivitySerializer(ModelInvariantsSerializer):
    class Meta:
        model = ProcessingActivity
        fields = [
            "id",
            "name",
            "purpose",
            "legal_basis",
            "data_categories",
            "subject_categories",
            "recipients",
            "retention_policy",
            "processors",
            "third_country_transfers",
            "technical_measures",
            "is_ai_system",
            "is_active",
            "updated_at",
        ]
        read_only_fields = ["id", "updated_at"]


class RetentionPolicySerializer(ModelInvariantsSerializer):
    class Meta:
        model = RetentionPolicy
        fields = ["id", "category", "duration_days", "is_active", "updated_at"]
        read_only_fields = ["id", "category", "updated_at"]


class DataRequestOutputSerializer(serializers.ModelSerializer):
    subject = serializers.UUIDField(source="subject.public_id", read_only=True, allow_null=True)
    # None until an access request's export is built (and always for other kinds).
    export_status = serializers.CharField(
        source="export.status", read_only=True, default=None, allow_null=True
    )
    export_expires_at = serializers.DateTimeField(
        source="export.expires_at", read_only=True, default=None, allow_null=True
    )

    class Meta:
        model = DataRequest
        fields = [
            "id",
            "public_id",
            "kind",
            "status",
            "subject",
            "language",
            "created_at",
            "due_at",
            "verified_at",
            "completed_at",
            "result",
            "export_status",
            "export_expires_at",
        ]


class DataRequestCreateInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=DataRequest.Kind.choices)
    email = serializers.EmailField(max_length=254)
    language = serializers.ChoiceField(choices=["de", "en"], default="de")


class AuditEventSerializer(serializers.ModelSerializer):
    acting_user = serializers.SlugRelatedField(slug_field="username", read_only=True)
    reason_label = serializers.CharField(source="get_reason_code_display", read_only=True)

    class Meta:
        model = AuditEvent
        fields = [
            "id",
            "created_at",
            "action",
            "acting_user",
            "target_type",
            "target_id",
            "subject_public_id",
            "reason_code",
            "reason_label",
            "reason",
            "details",
        ]
