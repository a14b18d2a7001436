"""The texts of the processing activities Supportdesk seeds (privacy's migrations 0007 and
0014, the help centre's 0001, the e-mail channel's 0003), marked for translation so that the
record of processing and the privacy notice read them in the reader's language. A text the
operator has edited is not in the catalogue and shows as written.

Migrations are frozen and not scanned for messages: the texts are repeated here on purpose.
"""

from django.db.models import QuerySet
from django.utils.translation import gettext, gettext_noop

from privacy.models import ProcessingActivity
from privacy.registry import active_channels, activity_in_use

# The seeded activity that describes the messenger channels: listed only while one is active.
MESSENGER_ACTIVITY = gettext_noop("Messenger channels")
# The e-mail channel's (listed while a mailbox is active: email_channel.apps says so).
EMAIL_ACTIVITY = gettext_noop("E-mail support")
# Renamed by email_channel 0004 (was "Answers by e-mail after a chat or the contact form"):
# the chat's part is one with the follow-ups ("Call backs and e-mail answers").
FOLLOW_UP_ACTIVITY = gettext_noop("Answers by e-mail to the contact form")
TRANSLATED_FIELDS = (
    "name",
    "purpose",
    "data_categories",
    "subject_categories",
    "recipients",
    "third_country_transfers",
    "technical_measures",
)

SEEDED_TEXTS = [
    gettext_noop("Support chat"),
    gettext_noop("Answering customers' requests in the website chat and on messengers."),
    gettext_noop("Name, email address (as configured), conversation content."),
    gettext_noop("Customers and prospective customers who use the chat."),
    gettext_noop("Support agents of the operator."),
    gettext_noop(
        "Encryption at rest (Fernet), keyed blind index for look-ups, TLS in transit, "
        "role-based access, audit log of every staff read."
    ),
    gettext_noop("Bot learning"),
    gettext_noop(
        "Improving the chatbot with conversation content from which personal data has been removed."
    ),
    gettext_noop("Redacted customer questions (no personal data)."),
    gettext_noop("Customers who consented to bot improvement."),
    gettext_noop("None."),
    gettext_noop(
        "Automatic redaction before any text enters a training set; objection (Art. 21) honoured."
    ),
    gettext_noop("Agent inbox"),
    gettext_noop("Handing escalated conversations to human agents."),
    gettext_noop("Identity as configured, conversation content, internal notes."),
    gettext_noop("Customers whose conversation was escalated."),
    gettext_noop("Support agents of the operator's queues."),
    gettext_noop("Queue-based access, masked email until revealed (audited)."),
    gettext_noop(
        "Receiving and answering customer messages on Telegram, WhatsApp and Facebook Messenger."
    ),
    gettext_noop("Platform user id, phone number or profile name, message content."),
    gettext_noop("Customers who write to the operator on a messenger."),
    gettext_noop("The messenger platform (processor or joint controller)."),
    gettext_noop("Signed webhooks, encrypted platform identifiers."),
    gettext_noop("Chatbot answers (AI system)"),
    gettext_noop(
        "Answering customers' questions automatically: an AI system (a text classifier "
        "trained on the knowledge base and on redacted customer questions) picks the "
        "knowledge-base answer that fits a question, offers choices when it is unsure, and "
        "hands the conversation to a person when it cannot answer or the customer asks for "
        "one. It takes no decision with legal or similarly significant effect on anyone."
    ),
    gettext_noop("Conversation content (questions and the bot's answers)."),
    gettext_noop("Customers who use the chat or a messenger channel."),
    gettext_noop("Support agents of the operator, when the bot hands a conversation over."),
    gettext_noop(
        "Customers are told that an automated assistant answers; answers only above a "
        "confidence threshold calibrated on held-back examples; a new model is activated only "
        "when it is not worse than the active one; learning uses redacted text only."
    ),
    # The help centre and the contact form (helpcentre/migrations/0001_initial.py).
    gettext_noop("Help centre"),
    gettext_noop(
        "Letting customers search and read the knowledge base on the website (the chatbot's "
        "classifier ranks the answers), and learning which questions it does not answer."
    ),
    gettext_noop(
        "Search words, kept only when nothing fitted and only after personal data has been "
        "removed automatically; helpfulness votes as daily counts without who voted. No "
        "cookie, nothing stored on the device."
    ),
    gettext_noop("Visitors of the help centre."),
    gettext_noop(
        "Automatic redaction before a search is kept; counts instead of records; no cookie "
        "or device storage (TDDDG Section 25)."
    ),
    gettext_noop("Contact form"),
    gettext_noop(
        "Answering customers' written requests; suggesting matching answers while they type "
        "(the typed text is not stored for that)."
    ),
    gettext_noop("Name, email address (as configured), subject and message."),
    gettext_noop("Customers and prospective customers who use the contact form."),
    gettext_noop(
        "Encryption at rest (Fernet) with a redacted copy for analytics, consent recorded "
        "with the policy version, rate limits."
    ),
    # The e-mail channel (email_channel/migrations/0003_processing_activities.py).
    EMAIL_ACTIVITY,
    gettext_noop(
        "Answering requests customers send by e-mail (steps at their request before a "
        "contract, or performing it); the chatbot suggests answers to the team and, where "
        "switched on, answers questions it is sure of itself, saying so."
    ),
    gettext_noop(
        "E-mail address and the name the mail client sends, the e-mails with their "
        "attachments, our answers and their delivery status."
    ),
    gettext_noop("Customers and prospective customers who write to us by e-mail."),
    gettext_noop(
        "Encryption at rest (Fernet) of addresses, subjects, texts and files; keyed blind "
        "indexes for threading; attachments only through an audited, permission-checked "
        "download; automatic mail never answered; not used to teach the chatbot."
    ),
    # email_channel/migrations/0004_one_follow_up.py changed these two.
    FOLLOW_UP_ACTIVITY,
    gettext_noop(
        "Sending the team's answer by e-mail to a customer who wrote through the contact form."
    ),
    gettext_noop("E-mail address, our answers and the customer's replies by e-mail."),
    gettext_noop("Customers who used the contact form."),
    gettext_noop(
        "The address typed into the form, stored encrypted and deleted with the conversation."
    ),
    # Call backs and e-mail answers (bot.follow_ups; privacy/migrations/0018_follow_up.py).
    gettext_noop("Call backs and e-mail answers"),
    gettext_noop(
        "Calling customers back or answering them by e-mail when they ask for it in the chat "
        "(offered while they wait for the team, or by the chatbot); their reply by e-mail "
        "continues the conversation."
    ),
    gettext_noop(
        "Phone number or e-mail address (only the one chosen), preferred time of day; for an "
        "answer by e-mail, our answers and the customer's replies by e-mail."
    ),
    gettext_noop("Customers who ask for a call back or an answer by e-mail."),
    gettext_noop(
        "Asked for with consent, in the chat or on a form; encrypted at rest; shown only on "
        "the conversation page (audited read); forgotten when done or after the retention "
        "period."
    ),
]


def processing_activities_in_use() -> list[ProcessingActivity]:
    """The active activities, their seeded texts in the current language; the messenger
    activity only while a messenger channel is active."""
    activities: QuerySet = (
        ProcessingActivity.objects.filter(is_active=True)
        .select_related("retention_policy")
        .prefetch_related("processors")
    )
    if not set(active_channels()) - {"web"}:
        activities = activities.exclude(name=MESSENGER_ACTIVITY)
    translated = []
    for activity in activities:
        if not activity_in_use(activity.name):
            continue
        for field in TRANSLATED_FIELDS:
            text = getattr(activity, field)
            if text:
                # For reading only: these instances are never saved.
                setattr(activity, field, gettext(text))
        translated.append(activity)
    return translated


def email_activity_in_use() -> bool:
    """Whether the notice describes e-mail: its activity is in the record and applies now."""
    return activity_in_use(EMAIL_ACTIVITY) and (
        ProcessingActivity.objects.filter(name=EMAIL_ACTIVITY, is_active=True).exists()
    )
