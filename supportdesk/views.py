"""Project-level pages: the health endpoint, the accessibility statement."""

import datetime
from dataclasses import asdict

from django.conf import settings
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django.views.generic import TemplateView

from platform_core.health import health_report


@never_cache
@require_GET
def health(request):
    """200 with every check when all pass, 503 when one fails (for load balancers and
    monitoring); the body says which and why."""
    results = health_report()
    healthy = all(result.ok for result in results)
    return JsonResponse(
        {"status": "ok" if healthy else "failing", "checks": [asdict(r) for r in results]},
        status=200 if healthy else 503,
    )


class AccessibilityStatementView(TemplateView):
    """The accessibility statement the BFSG asks of a shop's service, generated from
    configuration: the operator, the contact for barriers, the enforcement authority."""

    template_name = "supportdesk/accessibility.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            operator=settings.PRIVACY_CONTROLLER,
            contact_email=settings.ACCESSIBILITY_CONTACT_EMAIL,
            contact_phone=settings.ACCESSIBILITY_CONTACT_PHONE,
            market_surveillance=settings.ACCESSIBILITY_MARKET_SURVEILLANCE,
            reviewed=datetime.date.fromisoformat(settings.ACCESSIBILITY_STATEMENT_DATE),
        )
        return context
