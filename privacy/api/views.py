"""The privacy endpoints of /api/v1/: for the privacy officer (role) with a privacy scope."""

from django.db import transaction
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response

from platform_core.api_auth import HasScope
from platform_core.api_errors import ERROR_RESPONSES
from platform_core.api_params import datetime_param
from privacy.api import examples
from privacy.api.serializers import (
    AuditEventSerializer,
    ConsentRecordSerializer,
    DataRequestCreateInputSerializer,
    DataRequestOutputSerializer,
    PolicyVersionSerializer,
    ProcessingActivitySerializer,
    ProcessingAgreementSerializer,
    ProcessorSerializer,
    RetentionPolicySerializer,
)
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
from privacy.services import data_export_read, data_request_create, register_entry_save


class RoleModelPermissions(permissions.DjangoModelPermissions):
    """The role's model permissions, reads included (DRF lets any user read by default)."""

    perms_map = {
        **permissions.DjangoModelPermissions.perms_map,
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
        "OPTIONS": [],
    }


def _register_schema(
    serializer,
    *,
    request: OpenApiExample,
    patch: OpenApiExample,
    response: OpenApiExample,
    create: bool = True,
):
    """A register's operations, each with its success and error responses and examples."""

    def operation(status: int, *body: OpenApiExample, many: bool = False):
        return extend_schema(
            responses={status: serializer(many=many), **ERROR_RESPONSES},
            examples=[*body, response],
        )

    operations = {
        "list": operation(200, many=True),
        "retrieve": operation(200),
        "update": operation(200, request),
        "partial_update": operation(200, patch),
    }
    if create:
        operations["create"] = operation(201, request)
    return extend_schema_view(**operations)


class PrivacyViewSet(viewsets.GenericViewSet):
    scope_area = "privacy"
    permission_classes = [permissions.IsAuthenticated, HasScope, RoleModelPermissions]


class RegisterViewSet(
    PrivacyViewSet,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
):
    """Register entries: saved through the audited service, never deleted (history)."""

    def perform_create(self, serializer):
        self._save(serializer)

    def perform_update(self, serializer):
        self._save(serializer)

    def _save(self, serializer):
        created = serializer.instance is None
        with transaction.atomic():
            instance = serializer.save()  # shape only; the service validates and audits
            register_entry_save(instance=instance, acting_user=self.request.user, created=created)


@_register_schema(
    PolicyVersionSerializer,
    response=examples.POLICY_VERSION_RESPONSE,
    request=examples.POLICY_VERSION_REQUEST,
    patch=examples.POLICY_VERSION_PATCH,
)
class PolicyVersionViewSet(RegisterViewSet):
    queryset = PolicyVersion.objects.all()
    serializer_class = PolicyVersionSerializer


@_register_schema(
    ProcessorSerializer,
    response=examples.PROCESSOR_RESPONSE,
    request=examples.PROCESSOR_REQUEST,
    patch=examples.PROCESSOR_PATCH,
)
class ProcessorViewSet(RegisterViewSet):
    queryset = Processor.objects.all()
    serializer_class = ProcessorSerializer


@_register_schema(
    ProcessingAgreementSerializer,
    response=examples.AGREEMENT_RESPONSE,
    request=examples.AGREEMENT_REQUEST,
    patch=examples.AGREEMENT_PATCH,
)
class ProcessingAgreementViewSet(RegisterViewSet):
    queryset = ProcessingAgreement.objects.select_related("processor")
    serializer_class = ProcessingAgreementSerializer


@_register_schema(
    ProcessingActivitySerializer,
    response=examples.ACTIVITY_RESPONSE,
    request=examples.ACTIVITY_REQUEST,
    patch=examples.ACTIVITY_PATCH,
)
class ProcessingActivityViewSet(RegisterViewSet):
    queryset = ProcessingActivity.objects.prefetch_related("processors")
    serializer_class = ProcessingActivitySerializer


@_register_schema(
    RetentionPolicySerializer,
    response=examples.RETENTION_POLICY_RESPONSE,
    request=examples.RETENTION_POLICY_REQUEST,
    patch=examples.RETENTION_POLICY_PATCH,
    create=False,
)
class RetentionPolicyViewSet(
    PrivacyViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.UpdateModelMixin
):
    queryset = RetentionPolicy.objects.all()
    serializer_class = RetentionPolicySerializer

    def perform_update(self, serializer):
        with transaction.atomic():
            register_entry_save(
                instance=serializer.save(), acting_user=self.request.user, created=False
            )


@extend_schema_view(
    list=extend_schema(
        responses={200: ConsentRecordSerializer(many=True), **ERROR_RESPONSES},
        parameters=[
            OpenApiParameter("channel", str),
            OpenApiParameter("withdrawn", bool),
        ],
        examples=[examples.CONSENT_RECORD],
    ),
    retrieve=extend_schema(
        responses={200: ConsentRecordSerializer, **ERROR_RESPONSES},
        examples=[examples.CONSENT_RECORD],
    ),
)
class ConsentRecordViewSet(PrivacyViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    serializer_class = ConsentRecordSerializer

    def get_queryset(self):
        queryset = ConsentRecord.objects.select_related("policy_version", "subject")
        params = self.request.query_params
        if params.get("channel"):
            queryset = queryset.filter(channel=params["channel"])
        if params.get("withdrawn") in ("true", "false"):
            queryset = queryset.filter(withdrawn_at__isnull=params["withdrawn"] == "false")
        return queryset


@extend_schema_view(
    list=extend_schema(
        responses={200: AuditEventSerializer(many=True), **ERROR_RESPONSES},
        examples=[examples.AUDIT_EVENT],
        parameters=[
            OpenApiParameter("action", str),
            OpenApiParameter("acting_user", str, description="username"),
            OpenApiParameter("target_type", str),
            OpenApiParameter("target_id", str),
            OpenApiParameter("subject", OpenApiTypes.UUID),
            OpenApiParameter("since", OpenApiTypes.DATETIME),
            OpenApiParameter("until", OpenApiTypes.DATETIME),
        ],
    ),
    retrieve=extend_schema(
        responses={200: AuditEventSerializer, **ERROR_RESPONSES}, examples=[examples.AUDIT_EVENT]
    ),
)
class AuditEventViewSet(PrivacyViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    serializer_class = AuditEventSerializer

    def get_queryset(self):
        queryset = AuditEvent.objects.select_related("acting_user")
        params = self.request.query_params
        for param, lookup in [
            ("action", "action"),
            ("acting_user", "acting_user__username"),
            ("target_type", "target_type"),
            ("target_id", "target_id"),
            ("subject", "subject_public_id"),
        ]:
            if params.get(param):
                queryset = queryset.filter(**{lookup: params[param]})
        for param, lookup in [("since", "created_at__gte"), ("until", "created_at__lt")]:
            if params.get(param):
                moment = datetime_param(params[param])
                if moment is None:
                    raise ValidationError({param: ["Use an ISO 8601 date and time."]})
                queryset = queryset.filter(**{lookup: moment})
        return queryset


@extend_schema_view(
    list=extend_schema(
        responses={200: DataRequestOutputSerializer(many=True), **ERROR_RESPONSES},
        examples=[examples.DATA_REQUEST_COMPLETED],
    ),
    retrieve=extend_schema(
        responses={200: DataRequestOutputSerializer, **ERROR_RESPONSES},
        examples=[examples.DATA_REQUEST_COMPLETED],
    ),
    create=extend_schema(
        request=DataRequestCreateInputSerializer,
        responses={201: DataRequestOutputSerializer, **ERROR_RESPONSES},
        description="Open an access, erasure or objection request for a customer whose "
        "identity staff verified. It is processed at once (in Celery).",
        examples=[examples.DATA_REQUEST_REQUEST, examples.DATA_REQUEST_OPENED],
    ),
)
class DataRequestViewSet(
    PrivacyViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin
):
    queryset = DataRequest.objects.select_related("subject", "export")
    serializer_class = DataRequestOutputSerializer

    def create(self, request, *args, **kwargs):
        data = DataRequestCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        created = data_request_create(created_by=request.user, **data.validated_data)
        created = self.get_queryset().get(pk=created.pk)
        return Response(DataRequestOutputSerializer(created).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        responses={(200, "application/zip"): OpenApiTypes.BINARY, **ERROR_RESPONSES},
        description="The export of an access request as a ZIP (audited).",
    )
    @action(detail=True, methods=["get"])
    def export(self, request, pk=None):
        data_request = self.get_object()
        archive = data_export_read(request=data_request, acting_user=request.user)
        if archive is None:
            raise NotFound("This request has no export (yet), or it has expired.")
        response = HttpResponse(archive, content_type="application/zip")
        response["Content-Disposition"] = f'attachment; filename="export-{data_request.pk}.zip"'
        return response
