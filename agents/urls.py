from django.contrib.auth import views as auth_views
from django.urls import path

from agents.views import InboxView

app_name = "agents"

urlpatterns = [
    path("", InboxView.as_view(), name="inbox"),
    path("login/", auth_views.LoginView.as_view(template_name="agents/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
]
