"""The API root: /api/v1/. One router; each app adds its viewsets here."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from agents.api.views import InboxConversationViewSet, MeView
from bot.api.views import AnalyticsDailyView, BotModelViewSet, IntentViewSet
from privacy.api.views import (
    AuditEventViewSet,
    ConsentRecordViewSet,
    DataRequestViewSet,
    PolicyVersionViewSet,
    ProcessingActivityViewSet,
    ProcessingAgreementViewSet,
    ProcessorViewSet,
    RetentionPolicyViewSet,
)

router = DefaultRouter()
router.register("knowledge/intents", IntentViewSet, basename="intent")
router.register("knowledge/models", BotModelViewSet, basename="bot-model")
router.register("privacy/policy-versions", PolicyVersionViewSet, basename="policy-version")
router.register("privacy/consent-records", ConsentRecordViewSet, basename="consent-record")
router.register("privacy/processors", ProcessorViewSet, basename="processor")
router.register("privacy/agreements", ProcessingAgreementViewSet, basename="agreement")
router.register("privacy/activities", ProcessingActivityViewSet, basename="activity")
router.register("privacy/retention-policies", RetentionPolicyViewSet, basename="retention-policy")
router.register("privacy/requests", DataRequestViewSet, basename="data-request")
router.register("privacy/audit-events", AuditEventViewSet, basename="audit-event")

# agents: the inbox (issue 5).
router.register("inbox/conversations", InboxConversationViewSet, basename="inbox-conversation")

urlpatterns = [
    path("me/", MeView.as_view(), name="me"),
    path("analytics/daily/", AnalyticsDailyView.as_view(), name="analytics-daily"),
    *router.urls,
]
