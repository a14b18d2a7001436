"""{{ text|answer_html }}: a bot answer in the safe markdown subset (links, bold, lists),
everything else escaped (platform_core.answer_markup), as the customer saw it."""

from django import template
from django.utils.safestring import SafeString, mark_safe

from platform_core.answer_markup import answer_html as _answer_html

register = template.Library()


@register.filter
def answer_html(text: str) -> SafeString:
    # Safe by construction: the renderer escapes whatever is not in the subset.
    return mark_safe(_answer_html(str(text or "")))  # noqa: S308
