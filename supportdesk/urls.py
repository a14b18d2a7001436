from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from supportdesk.views import AccessibilityStatementView, health

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="bot:chat", permanent=False)),
    path("chat/", include("bot.urls")),
    path("inbox/", include("agents.urls")),
    path("privacy/", include("privacy.urls")),
    # Messenger channels: the Telegram, WhatsApp and Messenger webhooks.
    path("channels/", include("bot.channels.urls")),
    # E-mail channel: attachments and original mails, for agents (audited).
    path("email/", include("email_channel.urls")),
    path("health/", health, name="health"),
    path("accessibility/", AccessibilityStatementView.as_view(), name="accessibility"),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include(("supportdesk.api", "api"), namespace="api")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]

# Under /api/ in the API's JSON error format, elsewhere Django's pages.
handler400 = "supportdesk.api_errors.bad_request"
handler403 = "supportdesk.api_errors.permission_denied"
handler404 = "supportdesk.api_errors.page_not_found"
handler500 = "supportdesk.api_errors.server_error"

if settings.DEBUG:
    from django.contrib.staticfiles.urls import staticfiles_urlpatterns

    urlpatterns += staticfiles_urlpatterns()
