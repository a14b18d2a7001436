from django.urls import path

from bot.views import ChatPageView

app_name = "bot"

urlpatterns = [path("", ChatPageView.as_view(), name="chat")]
