from django.urls import path

from privacy.views import (
    DataExportDownloadView,
    DataRequestCreateView,
    DataRequestSentView,
    DataRequestVerifyView,
    PolicyView,
)

app_name = "privacy"

urlpatterns = [
    path("policy/", PolicyView.as_view(), name="policy"),
    path("policy/<str:language>/", PolicyView.as_view(), name="policy-language"),
    path("requests/", DataRequestCreateView.as_view(), name="request-create"),
    path("requests/sent/", DataRequestSentView.as_view(), name="request-sent"),
    path("requests/verify/<str:token>/", DataRequestVerifyView.as_view(), name="request-verify"),
    path("exports/<str:token>/", DataExportDownloadView.as_view(), name="export-download"),
]
