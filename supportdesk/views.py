"""Project-level pages: the health endpoint."""

from dataclasses import asdict

from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from supportdesk.health import health_report


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
