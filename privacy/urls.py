from django.urls import path

from privacy.views import PolicyView

app_name = "privacy"

urlpatterns = [
    path("policy/", PolicyView.as_view(), name="policy"),
    path("policy/<str:language>/", PolicyView.as_view(), name="policy-language"),
]
