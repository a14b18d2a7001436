"""What the text dialog says to messenger customers, in their language.

These notices are our own words (and knowledge-base titles), never the customer's:
they are stored unencrypted on ChannelDelivery until sent, so they must not quote
anything the customer wrote or their name.
"""

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from bot.disclosure import ai_disclosure
from privacy.models import PolicyVersion
from privacy.services import policy_version_active

# The reply words are translated, so a German customer answers JA and an English one
# YES; every shipped language's words are understood on every channel.
# Translators: the word a customer replies to agree to the privacy policy, in capitals.
WORD_YES = gettext_lazy("YES")
# Translators: the word a customer replies to decline the privacy policy, in capitals.
WORD_NO = gettext_lazy("NO")
# Translators: the word a customer writes to withdraw consent, in capitals.
WORD_STOP = gettext_lazy("STOP")
# Translators: the word a customer writes to let the bot learn from the chat, in capitals.
WORD_IMPROVE = gettext_lazy("IMPROVE")
# Translators: the words a customer writes to stop the bot learning from the chat, in capitals.
WORD_IMPROVE_OFF = gettext_lazy("IMPROVE OFF")


def shipped_languages() -> list[str]:
    """The default language first, then the others of LANGUAGES."""
    codes = [code for code, _name in settings.LANGUAGES]
    return sorted(codes, key=lambda code: code != settings.LANGUAGE_CODE)


def keyword_languages(word) -> dict[str, str]:
    """The word in every shipped language, normalised, mapped to that language."""
    words = {}
    for language in reversed(shipped_languages()):
        with translation.override(language):
            words[str(word).casefold()] = language
    return words


def policy_url(policy: PolicyVersion) -> str:
    path = reverse("privacy:policy-language", kwargs={"language": policy.language})
    return f"{settings.SITE_URL.rstrip('/')}{path}"


def consent_prompt(*, language: str) -> str:
    """The consent question; in every shipped language while the customer's is unknown.

    It is every messenger conversation's first message, so it starts by saying that an
    automated assistant answers here (bot.disclosure)."""
    languages = [language] if language else shipped_languages()
    parts = []
    for code in languages:
        policy = policy_version_active(language=code)
        if policy is None:
            continue
        with translation.override(code):
            parts.append(
                ai_disclosure(language=code)
                + "\n\n"
                + _(
                    "Hello! Before we can answer you here, we need your consent to process "
                    "your messages.\n\n%(summary)s\n\nPrivacy policy: %(url)s\n\n"
                    "Reply %(yes)s to agree or %(no)s to decline. You can withdraw your "
                    "consent at any time by writing %(stop)s."
                )
                % {
                    "summary": policy.summary,
                    "url": policy_url(policy),
                    "yes": WORD_YES,
                    "no": WORD_NO,
                    "stop": WORD_STOP,
                }
            )
    return "\n\n———\n\n".join(dict.fromkeys(parts))


def notice(key: str, *, language: str, **values) -> str:
    with translation.override(language or settings.LANGUAGE_CODE):
        text = {
            "consent_declined": lambda: _(
                "You declined. We have not stored your messages and forget this chat now. "
                "You can write to us again at any time, or reach us by phone or post."
            ),
            # The bot's answers follow this message: the disclosure is repeated with it.
            # Improving the bot is asked on its own, after the consent (Art. 7(4) GDPR).
            "consent_given": lambda: (
                f"{_('Thank you for your consent.')} {ai_disclosure(language=language)} "
                + _(
                    "Optional: reply %(improve)s if we may also use this conversation, "
                    "without personal data, to improve the bot."
                )
                % {"improve": WORD_IMPROVE}
            ),
            "improvement_given": lambda: (
                _(
                    "Thank you: this conversation may now help improve the bot, without "
                    "personal data."
                )
                + " "
                + _("You can take this back at any time by writing %(improve_off)s.")
                % {"improve_off": WORD_IMPROVE_OFF}
            ),
            "improvement_withdrawn": lambda: _(
                "Done: nothing of this conversation is used to improve the bot any more. "
                "The chat goes on as before."
            ),
            "ask_name": lambda: _("What is your name?"),
            "ask_email": lambda: _("What is your email address?"),
            "ask_phone": lambda: _("What is your phone number?"),
            "invalid_name": lambda: _("Please write your name (at most 200 characters)."),
            "invalid_email": lambda: _("Please enter a valid email address."),
            "invalid_phone": lambda: _("Please write a phone number with its area code."),
            "how_can_i_help": lambda: _("How can I help you? Please write your question."),
            "only_text": lambda: _(
                "Sorry, I can only read text messages. Please write your question as text."
            ),
            "withdrawn": lambda: _(
                "Your consent is withdrawn: we collect nothing more in this chat. What you "
                "already wrote is deleted when your case is closed; you can also ask us to "
                "delete it now."
            ),
            "too_long": lambda: _("Your message is too long. Please shorten it."),
            "no_policy": lambda: _("No privacy policy is published yet, so the chat cannot start."),
            "feedback_thanks": lambda: _("Thank you for your feedback."),
            "choose_number": lambda: _("Reply with the number of your choice."),
        }[key]()
        return text % values if values else text


def suggestions_render(*, text: str, suggestions: list[str], language: str) -> str:
    """A bot reply with choices, as plain text: the platforms show no buttons here."""
    lines = [text, ""]
    lines += [f"{number}. {title}" for number, title in enumerate(suggestions, start=1)]
    lines += ["", notice("choose_number", language=language)]
    return "\n".join(lines)
