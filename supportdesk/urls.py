from django.conf import settings
from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from supportdesk.views import AccessibilityStatementView, health

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="bot:chat", permanent=False)),
    path("chat/", include("bot.urls")),
    path("inbox/", include("agents.urls")),
    path("staff/", include("staff.urls")),
    path("privacy/", include("privacy.urls")),
    # The help centre (/help/) and the contact form (/contact/).
    path("", include("helpcentre.urls")),
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
    # The split view serves Swagger UI's start-up script from ?script=, so the CSP needs no
    # inline script; the page template has no inline style either.
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(
            url_name="api-schema", template_name="supportdesk/api_docs.html"
        ),
        name="api-docs",
    ),
    # Browsers ask for /favicon.ico whatever the page links: answer it instead of a 404.
    path("favicon.ico", RedirectView.as_view(url=static("favicon.svg"), permanent=True)),
]

if settings.OIDC_ENABLED:
    # Single sign-on: /oidc/authenticate/ and the provider's return to /oidc/callback/.
    urlpatterns.append(path("oidc/", include("mozilla_django_oidc.urls")))

# Under /api/ in the API's JSON error format, elsewhere Django's pages.
handler400 = "platform_core.api_errors.bad_request"
handler403 = "platform_core.api_errors.permission_denied"
handler404 = "platform_core.api_errors.page_not_found"
handler500 = "platform_core.api_errors.server_error"

if settings.DEBUG:
    from django.contrib.staticfiles.urls import staticfiles_urlpatterns

    urlpatterns += staticfiles_urlpatterns()
