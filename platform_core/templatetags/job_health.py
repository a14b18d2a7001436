"""`{% job_health_problems as problems %}`: the periodic jobs that stopped running."""

from django import template

from platform_core.health import health_problems

register = template.Library()


@register.simple_tag
def job_health_problems() -> list:
    # From the health registry's short cache, like every other staff banner.
    return [problem for problem in health_problems() if problem.name.startswith("jobs.")]
