"""The help centre's section for the supervisors' analytics page.

`{% load helpcentre_analytics %}{% help_analytics_section since until %}` renders
templates/helpcentre/_analytics.html from helpcentre.selectors.help_analytics: the
analytics page shows it without its app importing the help centre.
"""

from django import template

from helpcentre.selectors import help_analytics

register = template.Library()


@register.inclusion_tag("helpcentre/_analytics.html")
def help_analytics_section(since, until):
    return {"help": help_analytics(since=since, until=until)}
