"""AI Act Art. 50(1): every channel says that an automated assistant answers, before or
with its first answer, in German and English; neither configuration nor the knowledge
base can remove it."""

import pytest
from channels.testing import WebsocketCommunicator
from django.urls import reverse

from bot.disclosure import ai_disclosure
from bot.models import Intent, IntentAnswer
from bot.services import message_append, subject_conversations_export
from supportdesk.asgi import application
from tests.factories import ConversationFactory

GERMAN = "Sie schreiben mit einem automatischen Assistenten (einem Computerprogramm)"
ENGLISH = "You are chatting with an automated assistant (a computer program)"
DISCLOSURE = {"de": GERMAN, "en": ENGLISH}


def greeting_edit_away() -> None:
    """The operator edited the demo greeting ("digitaler Assistent") away entirely."""
    IntentAnswer.objects.filter(text__icontains="Assistent").update(text="Guten Tag!")
    IntentAnswer.objects.filter(text__icontains="assistant").update(text="Good day!")
    Intent.objects.filter(slug="greeting").delete()


@pytest.fixture
def knowledge_base_without_greeting(knowledge_base):
    greeting_edit_away()


# Web chat and widget --------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["de", "en"])
@pytest.mark.parametrize("embedded", [False, True], ids=["page", "widget"])
def test_the_chat_page_states_the_assistant_is_automated(
    client, language, embedded, knowledge_base_without_greeting, settings
):
    settings.CHAT_ANONYMOUS_MODE = True
    settings.CHAT_IDENTITY_FIELDS = []
    query = {"language": language, **({"embed": "1"} if embedded else {})}

    page = client.get(reverse("bot:chat"), query).content.decode()

    disclosure = page.index(DISCLOSURE[language])
    # Above the consent panel and the conversation, and not hidden.
    assert disclosure < page.index('id="consent-panel"') < page.index('id="chat-log"')
    assert 'id="chat-disclosure">' in page
    assert DISCLOSURE["de" if language == "en" else "en"] not in page


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("language", ["de", "en"])
async def test_the_welcome_frame_carries_the_disclosure_before_any_answer(
    language, policies, knowledge_base_without_greeting
):
    communicator = WebsocketCommunicator(
        application,
        "/ws/chat/",
        headers=[(b"origin", b"http://localhost"), (b"host", b"localhost")],
    )
    assert (await communicator.connect())[0]

    await communicator.send_json_to({"type": "hello", "conversation": None, "lang": language})
    welcome = await communicator.receive_json_from(timeout=10)

    assert welcome["type"] == "welcome"
    assert welcome["disclosure"].startswith(DISCLOSURE[language])
    await communicator.disconnect()


@pytest.mark.django_db
def test_the_access_export_marks_automated_messages(subject):
    conversation = ConversationFactory(subject=subject)
    for sender in ("customer", "bot", "system", "agent"):
        message_append(conversation=conversation, sender=sender, text=f"from {sender}")

    exported = subject_conversations_export(subject)["conversations"][0]["messages"]

    assert [(m["from"], m["automated"]) for m in exported] == [
        ("customer", False),
        ("bot", True),
        ("system", True),
        ("agent", False),
    ]


NAMED = {
    "de": "Sie schreiben mit Lumi, einem automatischen Assistenten (einem Computerprogramm), "
    "nicht mit einem Menschen.",
    "en": "You are chatting with Lumi, an automated assistant (a computer program), not a person.",
}


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["de", "en"])
def test_the_operator_may_name_the_assistant_but_the_statement_stays(client, settings, language):
    settings.CHAT_ASSISTANT_NAME = "  Lumi "

    page = client.get(reverse("bot:chat"), {"language": language}).content.decode()

    assert NAMED[language] in page


@pytest.mark.django_db
def test_a_long_name_cannot_bury_the_statement(settings):
    settings.CHAT_ASSISTANT_NAME = "L" * 500

    text = ai_disclosure(language="en")

    assert text.startswith(f"You are chatting with {'L' * 40}, an automated assistant")
