"""The API root: /api/v1/. One router; each app adds its viewsets here."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from agents.api.views import InboxConversationViewSet, MeView

router = DefaultRouter()

# agents: the inbox (issue 5).
router.register("inbox/conversations", InboxConversationViewSet, basename="inbox-conversation")

urlpatterns = [
    path("me/", MeView.as_view(), name="me"),
    *router.urls,
]
