"""Knowledge-base endpoints of /api/v1/knowledge/: intents with answers and example questions."""

from datetime import date, timedelta

from django.http import HttpResponse
from django.utils import timezone
from django.utils.dateparse import parse_date
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import BaseParser, JSONParser
from rest_framework.response import Response
from rest_framework.views import APIView

from bot.api import examples
from bot.api.serializers import (
    AnalyticsDayOutputSerializer,
    BotModelOutputSerializer,
    BotModelTrainInputSerializer,
    IntentInputSerializer,
    IntentOutputSerializer,
    KnowledgeBaseImportInputSerializer,
    KnowledgeBaseImportOutputSerializer,
)
from bot.knowledge_base import (
    intent_save,
    knowledge_base_csv_export,
    knowledge_base_csv_import,
    knowledge_base_export,
    knowledge_base_import,
)
from bot.learning import bot_model_activate
from bot.models import BotModel, Intent
from bot.selectors import analytics_daily
from bot.tasks import bot_model_train_task
from platform_core.api_auth import HasScope
from platform_core.api_errors import ERROR_RESPONSES
from privacy.api.views import RoleModelPermissions


class CsvParser(BaseParser):
    media_type = "text/csv"

    def parse(self, stream, media_type=None, parser_context=None):
        return stream.read().decode("utf-8")


@extend_schema_view(
    list=extend_schema(
        responses={200: IntentOutputSerializer(many=True), **ERROR_RESPONSES},
        examples=[examples.INTENT_RESPONSE],
    ),
    retrieve=extend_schema(
        responses={200: IntentOutputSerializer, **ERROR_RESPONSES},
        examples=[examples.INTENT_RESPONSE],
    ),
    create=extend_schema(
        request=IntentInputSerializer,
        responses={201: IntentOutputSerializer, **ERROR_RESPONSES},
        examples=[examples.INTENT_REQUEST, examples.INTENT_RESPONSE],
    ),
    update=extend_schema(
        request=IntentInputSerializer,
        responses={200: IntentOutputSerializer, **ERROR_RESPONSES},
        description="Replace the intent: exactly these answers and example questions remain.",
        examples=[examples.INTENT_REQUEST, examples.INTENT_RESPONSE],
    ),
    destroy=extend_schema(responses={204: None, **ERROR_RESPONSES}),
)
class IntentViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    scope_area = "knowledge"
    permission_classes = [permissions.IsAuthenticated, HasScope, RoleModelPermissions]
    queryset = Intent.objects.prefetch_related("answers", "examples")
    serializer_class = IntentOutputSerializer
    http_method_names = ["get", "post", "put", "delete", "head", "options"]
    lookup_field = "slug"

    def create(self, request, *args, **kwargs):
        data = IntentInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        intent = intent_save(**_intent_arguments(data.validated_data))
        return Response(
            IntentOutputSerializer(self.get_queryset().get(pk=intent.pk)).data,
            status=status.HTTP_201_CREATED,
        )

    def update(self, request, *args, **kwargs):
        data = IntentInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        intent = intent_save(intent=self.get_object(), **_intent_arguments(data.validated_data))
        return Response(IntentOutputSerializer(self.get_queryset().get(pk=intent.pk)).data)

    @extend_schema(
        responses={200: KnowledgeBaseImportInputSerializer, **ERROR_RESPONSES},
        description="The whole knowledge base as JSON (the import format).",
        examples=[examples.KNOWLEDGE_BASE_RESPONSE],
    )
    @action(detail=False, methods=["get"], url_path="export")
    def export(self, request):
        return Response(knowledge_base_export())

    @extend_schema(
        responses={(200, "text/csv"): OpenApiTypes.STR, **ERROR_RESPONSES},
        description="Columns slug, topic, language, field (title/answer/example), text.",
        examples=[examples.KNOWLEDGE_BASE_CSV_RESPONSE],
    )
    @action(detail=False, methods=["get"], url_path="export-csv")
    def export_csv(self, request):
        response = HttpResponse(knowledge_base_csv_export(), content_type="text/csv")
        response["Content-Disposition"] = 'attachment; filename="knowledge-base.csv"'
        return response

    @extend_schema(
        request={
            "application/json": KnowledgeBaseImportInputSerializer,
            "text/csv": OpenApiTypes.STR,
        },
        responses={200: KnowledgeBaseImportOutputSerializer, **ERROR_RESPONSES},
        description="Add intents, answers and example questions (JSON or CSV); existing "
        "ones are kept. Importing the same data twice adds nothing.",
        examples=[
            examples.KNOWLEDGE_BASE_REQUEST,
            examples.KNOWLEDGE_BASE_CSV_REQUEST,
            examples.IMPORTED,
        ],
    )
    @action(
        detail=False, methods=["post"], url_path="import", parser_classes=[JSONParser, CsvParser]
    )
    def import_(self, request):
        if isinstance(request.data, str):
            counts = knowledge_base_csv_import(text=request.data)
        elif isinstance(request.data, dict):
            counts = knowledge_base_import(data=dict(request.data))
        else:
            raise ValidationError({"non_field_errors": ["Send a JSON object or a CSV file."]})
        return Response(KnowledgeBaseImportOutputSerializer(counts).data)


def _intent_arguments(data: dict) -> dict:
    return {
        "slug": data["slug"],
        "topic": data["topic"],
        "is_active": data["is_active"],
        "action": data["action"],
        "action_queue": data["action_queue"],
        "action_url": data["action_url"],
        "titles": data["titles"],
        "answers": data["answers"],
        "examples": data["examples"],
    }


class AnalyticsPermission(permissions.BasePermission):
    message = "Analytics are for supervisors."

    def has_permission(self, request, view) -> bool:
        return request.user.has_perm("agents.view_analytics")


MAX_ANALYTICS_DAYS = 366


@extend_schema(
    parameters=[
        OpenApiParameter("since", OpenApiTypes.DATE, description="default: 30 days ago"),
        OpenApiParameter("until", OpenApiTypes.DATE, description="inclusive; default: today"),
    ],
    responses={200: AnalyticsDayOutputSerializer(many=True), **ERROR_RESPONSES},
    examples=[examples.ANALYTICS_DAY],
)
class AnalyticsDailyView(APIView):
    """Automation rate, escalation reasons, answer feedback and satisfaction per day."""

    scope_area = "conversations"
    permission_classes = [permissions.IsAuthenticated, HasScope, AnalyticsPermission]

    def get(self, request):
        today = timezone.localdate()
        since = _date_param(request, "since", today - timedelta(days=29))
        until = _date_param(request, "until", today)
        if since > until or (until - since).days >= MAX_ANALYTICS_DAYS:
            raise ValidationError({"since": [f"Give a range of 1 to {MAX_ANALYTICS_DAYS} days."]})
        days = analytics_daily(since=since, until=until)
        return Response(AnalyticsDayOutputSerializer(days, many=True).data)


def _date_param(request, name: str, default: date) -> date:
    value = request.query_params.get(name)
    if not value:
        return default
    parsed = parse_date(value)
    if parsed is None:
        raise ValidationError({name: ["Use a date like 2026-11-27."]})
    return parsed


@extend_schema_view(
    list=extend_schema(
        responses={200: BotModelOutputSerializer(many=True), **ERROR_RESPONSES},
        examples=[examples.BOT_MODEL],
    ),
    retrieve=extend_schema(
        responses={200: BotModelOutputSerializer, **ERROR_RESPONSES},
        examples=[examples.BOT_MODEL],
    ),
)
class BotModelViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Trained model versions with their held-back metrics; train, activate, roll back."""

    scope_area = "knowledge"
    permission_classes = [permissions.IsAuthenticated, HasScope, RoleModelPermissions]
    queryset = BotModel.objects.all()
    serializer_class = BotModelOutputSerializer

    @extend_schema(
        request=BotModelTrainInputSerializer,
        responses={202: None, **ERROR_RESPONSES},
        description="Train a new version in the background (Celery); it becomes active only "
        "if it passes the quality gate.",
        examples=[examples.TRAIN],
    )
    @action(detail=False, methods=["post"])
    def train(self, request):

        data = BotModelTrainInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        bot_model_train_task.delay(data.validated_data["language"])
        return Response(status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        request=None,
        responses={200: BotModelOutputSerializer, **ERROR_RESPONSES},
        description="Make this version the active one of its language (also to roll back).",
        examples=[examples.BOT_MODEL],
    )
    @action(detail=True, methods=["post"])
    def activate(self, request, pk=None):

        record = bot_model_activate(
            record=self.get_object(), acting_user=request.user, reason="api"
        )
        return Response(BotModelOutputSerializer(record).data)
