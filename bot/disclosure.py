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


# The operator may name the assistant (CHAT_ASSISTANT_NAME), within the same statement.
AI_DISCLOSURE_NAMED = gettext_lazy(
    "You are chatting with %(name)s, an automated assistant (a computer program), not a "
    "person. When it cannot help, a member of our team takes over."
)
ASSISTANT_NAME_MAX_LENGTH = 40


def ai_disclosure(*, language: str) -> str:
    """The disclosure in the customer's language (the default language when unknown)."""
    languages = dict(settings.LANGUAGES)
    # Only a short plain name: anything longer could bury the statement.
    name = " ".join(str(settings.CHAT_ASSISTANT_NAME).split())[:ASSISTANT_NAME_MAX_LENGTH]
    with translation.override(language if language in languages else settings.LANGUAGE_CODE):
        if name:
            return str(AI_DISCLOSURE_NAMED) % {"name": name}
        return str(AI_DISCLOSURE)
