from django.urls import path

from bot.views import ChatPageView, ConsentPurposesView, FollowUpView

app_name = "bot"

urlpatterns = [
    path("", ChatPageView.as_view(), name="chat"),
    path("follow-up/<str:token>/", FollowUpView.as_view(), name="follow-up"),
    path("consent/<str:token>/", ConsentPurposesView.as_view(), name="consent-purposes"),
]
