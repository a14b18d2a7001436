from django.urls import re_path

from bot.channels.views import webhook

app_name = "bot_channels"

urlpatterns = [
    re_path(r"^(?P<channel>telegram|whatsapp|messenger)/webhook/$", webhook, name="webhook"),
]
