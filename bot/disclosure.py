"""The statement that an automated system answers (EU AI Act, Art. 50(1)).

Product text, translated with the product: it is not knowledge-base content, so no
edit of intents or answers removes it, and there is deliberately no setting that
switches it off. Every channel shows it before or with the bot's first answer: the
web chat page (and the widget, which frames that page) renders it above the chat and
the welcome frame carries it; the messengers' first message (the consent question)
and the consent confirmation start with it.
"""

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext_lazy

AI_DISCLOSURE = gettext_lazy(
    "You are chatting with an automated assistant (a computer program), not a person. "
    "When it cannot help, a member of our team takes over."
)


def ai_disclosure(*, language: str) -> str:
    """The disclosure in the customer's language (the default language when unknown)."""
    languages = dict(settings.LANGUAGES)
    with translation.override(language if language in languages else settings.LANGUAGE_CODE):
        return str(AI_DISCLOSURE)
