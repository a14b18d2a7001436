from django.urls import path

from privacy.views import (
    AgreementDocumentView,
    DataExportDownloadView,
    DataRequestCreateView,
    DataRequestSentView,
    DataRequestVerifyView,
    EncryptionStatusRefreshView,
    IdentityVerifyView,
    NoticeView,
    PolicyView,
    PrivacyDashboardView,
    ProcessingActivitiesCsvView,
    ProcessingActivitiesView,
)

app_name = "privacy"

urlpatterns = [
    path("policy/", PolicyView.as_view(), name="policy"),
    path("policy/<str:language>/", PolicyView.as_view(), name="policy-language"),
    path("requests/", DataRequestCreateView.as_view(), name="request-create"),
    path("requests/sent/", DataRequestSentView.as_view(), name="request-sent"),
    path("requests/verify/<str:token>/", DataRequestVerifyView.as_view(), name="request-verify"),
    path("identity/verify/<str:token>/", IdentityVerifyView.as_view(), name="identity-verify"),
    path("exports/<str:token>/", DataExportDownloadView.as_view(), name="export-download"),
    path("dashboard/", PrivacyDashboardView.as_view(), name="dashboard"),
    path(
        "dashboard/encryption-status/",
        EncryptionStatusRefreshView.as_view(),
        name="encryption-status-refresh",
    ),
    path("notice/", NoticeView.as_view(), name="notice"),
    path("activities/", ProcessingActivitiesView.as_view(), name="activities"),
    path("activities.csv", ProcessingActivitiesCsvView.as_view(), name="activities-csv"),
    path(
        "agreements/<int:pk>/document/", AgreementDocumentView.as_view(), name="agreement-document"
    ),
]
