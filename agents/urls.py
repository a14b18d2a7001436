from django.contrib.auth import views as auth_views
from django.urls import path

from agents import views
from staff.views import StaffLoginView

app_name = "agents"

urlpatterns = [
    path("", views.InboxView.as_view(), name="inbox"),
    path("login/", StaffLoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("availability/", views.AvailabilityView.as_view(), name="availability"),
    path("canned/", views.CannedResponseListView.as_view(), name="canned"),
    path(
        "canned/<int:pk>/delete/",
        views.CannedResponseDeleteView.as_view(),
        name="canned_delete",
    ),
    path("teachings/", views.TeachingListView.as_view(), name="teachings"),
    path("analytics/", views.AnalyticsView.as_view(), name="analytics"),
    path("analytics/export.csv", views.AnalyticsExportView.as_view(), name="analytics_export"),
    path(
        "teachings/<int:pk>/approve/",
        views.TeachingDecideView.as_view(decision="approve"),
        name="teaching_approve",
    ),
    path(
        "teachings/choices/<int:pk>/approve/",
        views.ChoiceExampleDecideView.as_view(approve=True),
        name="choice_example_approve",
    ),
    path(
        "teachings/choices/<int:pk>/reject/",
        views.ChoiceExampleDecideView.as_view(approve=False),
        name="choice_example_reject",
    ),
    path(
        "teachings/<int:pk>/reject/",
        views.TeachingDecideView.as_view(decision="reject"),
        name="teaching_reject",
    ),
    path("c/<uuid:public_id>/", views.ConversationView.as_view(), name="conversation"),
    path("c/<uuid:public_id>/claim/", views.ClaimView.as_view(), name="claim"),
    path("c/<uuid:public_id>/reply/", views.ReplyView.as_view(), name="reply"),
    path("c/<uuid:public_id>/note/", views.NoteView.as_view(), name="note"),
    path("c/<uuid:public_id>/resolve/", views.ResolveView.as_view(), name="resolve"),
    path("c/<uuid:public_id>/reopen/", views.ReopenView.as_view(), name="reopen"),
    path("c/<uuid:public_id>/transfer/", views.TransferView.as_view(), name="transfer"),
    path("c/<uuid:public_id>/assign/", views.AssignView.as_view(), name="assign"),
    path(
        "c/<uuid:public_id>/follow-up-done/",
        views.FollowUpDoneView.as_view(),
        name="follow_up_done",
    ),
    path("c/<uuid:public_id>/teach/", views.TeachView.as_view(), name="teach"),
    path(
        "c/<uuid:public_id>/redaction-flag/",
        views.RedactionFlagView.as_view(),
        name="redaction_flag",
    ),
    path("c/<uuid:public_id>/reveal-email/", views.RevealEmailView.as_view(), name="reveal_email"),
]
