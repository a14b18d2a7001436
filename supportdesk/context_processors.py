"""Template context for staff pages: the failed health checks, for the banner."""

from platform_core.health import health_problems


def health_banner(request) -> dict:
    """`health_problems` (failed checks, cached 30 s) for staff and supervisors only.

    A callable, so only pages that show the banner run it; customers never see it.
    """
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    # Admin users (the admin shows it to every one of them) and supervisors (base.html
    # shows it to those who see the analytics) are the ones who can act on it.
    if not (user.is_staff or user.has_perm("agents.view_analytics")):
        return {}
    return {"health_problems": health_problems}
