"""Intents that act (bot.intent_actions): every intent with an action does it when the bot
answers with it, on the website chat and on each messenger, in German and English."""

import io
import json
import re
import zipfile

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.core import mail
from django.utils import translation
from django.utils.translation import gettext as _

from agents.models import Assignment, Queue
from bot.chat import answerer_get
from bot.dialog import customer_asks_for_human
from bot.follow_ups import follow_up_conversation_get
from bot.knowledge_base import DEMO_KNOWLEDGE_BASE, knowledge_base_import_file
from bot.models import Conversation, FollowUp, Intent, Message
from bot.tokens import resume_token_hash
from privacy.models import DataRequest, DataSubject
from supportdesk.asgi import application
from tests.bot.channels.conftest import (  # noqa: F401  (the messenger fixtures)
    CHANNELS,
    active_channel,
    driver,
    fake_platforms,
)

ORIGIN = [(b"origin", b"http://localhost"), (b"host", b"localhost")]
LANGUAGES = ["de", "en"]
# What each action leaves behind, as the customer reads it (German, English).
ACTION_WORDS = {
    "handover": ("Team", "team"),
    "privacy_access": ("Kopie Ihrer Daten", "copy of your data"),
    "privacy_erasure": ("Löschantrag", "erasure request"),
    "privacy_objection": ("nicht mehr zum Training", "not used to train"),
    "follow_up": ("zurückrufen", "call you back"),
}


def _demo_actions() -> dict[str, str]:
    data = json.loads(DEMO_KNOWLEDGE_BASE.read_text(encoding="utf-8"))
    return {intent["slug"]: intent["action"] for intent in data["intents"] if "action" in intent}


DEMO_ACTIONS = _demo_actions()


def _question_for(slug: str, language: str) -> str:
    """An example of the intent that the bot answers with it (not the hand-over regex)."""
    answerer = answerer_get()
    for question in Intent.objects.get(slug=slug).examples.filter(language=language):
        answer = answerer.answer(question.text, language)
        if (
            not customer_asks_for_human(question.text)
            and answer is not None
            and answer.intent_slug == slug
            and answer.band == "answer"
        ):
            return question.text
    raise AssertionError(f"no example of {slug} ({language}) is answered with it")


def _assert_action_done(conversation: Conversation, action: str, language: str) -> None:
    conversation.refresh_from_db()
    system = list(
        Message.objects.filter(conversation=conversation, sender="system").values_list(
            "text", flat=True
        )
    )
    # Shown in the transcript, in the answer's language.
    assert any(ACTION_WORDS[action][LANGUAGES.index(language)] in text for text in system), system
    if action == "handover":
        assert conversation.status == Conversation.Status.WAITING
        assert conversation.escalation_reason == "customer_request"
    elif action == "privacy_objection":
        # Recorded at once for the conversation's person; nothing to confirm by e-mail.
        assert conversation.subject.learning_objected_at is not None
        request = DataRequest.objects.get(kind="objection")
        assert (request.status, request.source, request.source_channel) == (
            "completed",
            "chat",
            conversation.channel,
        )
        assert conversation.status == Conversation.Status.BOT
    elif action == "follow_up":
        # The link to the form, in the conversation's language; nothing stored yet.
        link = re.search(r"https?://\S+/chat/follow-up/\S+", system[-1]).group(0)
        assert link.endswith(f"?language={language}")
        assert follow_up_conversation_get(token=link.split("/")[-2]) == conversation
        assert not FollowUp.objects.exists()
        assert conversation.status == Conversation.Status.BOT
    else:
        kind = {"privacy_access": "access", "privacy_erasure": "erasure"}[action]
        request = DataRequest.objects.get(kind=kind)
        assert request.source == DataRequest.Source.CHAT
        assert request.source_channel == conversation.channel
        assert request.status == DataRequest.Status.UNVERIFIED
        assert request.email == "erika@example.org"
        assert request.due_at > request.created_at
        assert "/privacy/requests/verify/" in mail.outbox[-1].body
        assert conversation.status == Conversation.Status.BOT


# The website chat ---------------------------------------------------------------------------


async def _web_conversation(language: str):
    communicator = WebsocketCommunicator(application, "/ws/chat/", headers=ORIGIN)
    connected, _subprotocol = await communicator.connect()
    assert connected
    await communicator.send_json_to(
        {"type": "hello", "conversation": None, "lang": language, "since": 0}
    )
    welcome = await communicator.receive_json_from(timeout=10)
    await communicator.send_json_to(
        {"type": "consent", "accept": True, "policy_version": welcome["consent"]["policy_version"]}
    )
    assert (await communicator.receive_json_from(timeout=10))["type"] == "consent.accepted"
    await communicator.send_json_to(
        {"type": "identify", "name": "Erika Mustermann", "email": "erika@example.org"}
    )
    assert (await communicator.receive_json_from(timeout=10))["type"] == "identified"
    assert (await communicator.receive_json_from(timeout=10))["from"] == "bot"  # the greeting
    return communicator, welcome["conversation"]


async def _frames(communicator, count: int) -> list[dict]:
    frames = [await communicator.receive_json_from(timeout=10) for _ in range(count)]
    assert await communicator.receive_nothing(timeout=0.5)
    return frames


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("slug", sorted(DEMO_ACTIONS))
async def test_the_web_chat_does_the_intents_action(
    slug, language, policies, settings, celery_eager
):
    settings.CHAT_IDENTITY_FIELDS = ["name", "email"]
    await sync_to_async(knowledge_base_import_file)(path=DEMO_KNOWLEDGE_BASE)
    question = await sync_to_async(_question_for)(slug, language)
    communicator, token = await _web_conversation(language)

    await communicator.send_json_to({"type": "message", "id": "q", "text": question})
    # The ack, the answer, what the action did, and for a hand-over the new status.
    frames = await _frames(communicator, 4 if DEMO_ACTIONS[slug] == "handover" else 3)

    kinds = [(frame["type"], frame.get("from")) for frame in frames]
    assert kinds[:3] == [("ack", None), ("message", "bot"), ("message", "system")]
    if DEMO_ACTIONS[slug] == "handover":
        assert (frames[-1]["type"], frames[-1]["status"]) == ("status", "waiting")
    conversation = await Conversation.objects.aget(resume_token_hash=resume_token_hash(token))
    await sync_to_async(_assert_action_done)(conversation, DEMO_ACTIONS[slug], language)
    await communicator.disconnect()


# The messengers -----------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("slug", sorted(DEMO_ACTIONS))
@pytest.mark.parametrize("channel", CHANNELS)
def test_each_messenger_does_the_intents_action(
    channel,
    slug,
    language,
    driver,  # noqa: F811
    active_channel,  # noqa: F811
    policies,
    knowledge_base,
    settings,
):
    settings.CHAT_IDENTITY_FIELDS = ["name", "email"]
    active_channel(channel)
    platform = driver(channel)
    for text in ("Hallo", "JA", "Erika Mustermann", "erika@example.org"):
        platform.say(text)
    before = len(platform.replies())

    platform.say(_question_for(slug, language))

    conversation = Conversation.objects.get(channel=channel)
    _assert_action_done(conversation, DEMO_ACTIONS[slug], language)
    # The customer got the answer and what happens next on the platform itself.
    action_message = Message.objects.filter(conversation=conversation, sender="system").last()
    assert action_message.text in platform.replies()[before:]


# Hand-over ----------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
def test_the_regex_and_the_handover_intent_agree(language, chat_conversation):
    """Every way the demo's hand-over intent is asked hands over: by the safety-net regex
    or by the intent's action; the bot never promises a person and stays."""
    examples = Intent.objects.get(slug="human_agent").examples.filter(language=language)

    for example in examples:
        conversation = chat_conversation(language)
        from bot.chat import chat_message_receive

        chat_message_receive(conversation=conversation, client_message_id="q", text=example.text)

        conversation.refresh_from_db()
        answered = Message.objects.filter(conversation=conversation, intent_slug="human_agent")
        if answered.exists():
            assert conversation.status == Conversation.Status.WAITING, example.text


@pytest.fixture
def chat_conversation(policies, knowledge_base, settings):
    from bot.chat import chat_consent_give, chat_identify
    from bot.services import conversation_start

    settings.CHAT_IDENTITY_FIELDS = ["name", "email"]

    def make(language: str) -> Conversation:
        conversation, _token = conversation_start(language=language)
        chat_consent_give(conversation=conversation, policy_version="2026-11")
        chat_identify(
            conversation=conversation,
            identity={"name": "Erika Mustermann", "email": "erika@example.org"},
        )
        return conversation

    return make


@pytest.mark.django_db
@pytest.mark.parametrize("question", ["Bist du ein Mensch?", "Are you a human?"])
def test_asking_whether_the_bot_is_human_hands_over(question, chat_conversation):
    from bot.chat import chat_message_receive

    conversation = chat_conversation("de")

    _message, outcome = chat_message_receive(
        conversation=conversation, client_message_id="q", text=question
    )

    assert outcome.escalated
    assert [reply.sender for reply in outcome.replies] == ["bot", "system"]
    conversation.refresh_from_db()
    assert conversation.status == Conversation.Status.WAITING


@pytest.mark.django_db
def test_a_handover_intent_routes_to_its_queue(
    chat_conversation, django_capture_on_commit_callbacks
):
    from bot.chat import chat_message_receive

    Queue.objects.create(name="General", slug="general")
    humans = Queue.objects.create(name="Humans", slug="humans", topic="other")
    Intent.objects.filter(slug="human_agent").update(action_queue="humans")
    conversation = chat_conversation("en")

    with django_capture_on_commit_callbacks(execute=True):
        chat_message_receive(
            conversation=conversation, client_message_id="q", text="Are you a human?"
        )

    assert Assignment.objects.get(conversation=conversation).queue == humans


# Privacy requests ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_objection_is_recorded_at_once_for_the_conversations_person(
    chat_conversation, django_capture_on_commit_callbacks
):
    from bot.chat import chat_message_receive

    Intent.objects.filter(slug="privacy_data_stored").update(action="privacy_objection")
    conversation = chat_conversation("en")

    with django_capture_on_commit_callbacks(execute=True):
        _message, outcome = chat_message_receive(
            conversation=conversation,
            client_message_id="q",
            text="What data do you store about me?",
        )

    assert "not used to train the bot" in outcome.replies[-1].text
    assert DataSubject.objects.get(pk=conversation.subject_id).learning_objected_at is not None
    request = DataRequest.objects.get(kind="objection")
    assert (request.status, request.source, request.source_channel) == ("completed", "chat", "web")
    assert mail.outbox == []  # nothing to confirm: an objection only restricts


@pytest.mark.django_db
def test_an_objection_without_identification_gets_a_person_for_the_chat(
    policies, knowledge_base, settings
):
    from bot.chat import chat_consent_give, chat_message_receive
    from bot.services import conversation_start

    settings.CHAT_IDENTITY_FIELDS = []
    Intent.objects.filter(slug="privacy_data_stored").update(action="privacy_objection")
    conversation, _token = conversation_start(language="de")
    chat_consent_give(conversation=conversation, policy_version="2026-11")

    chat_message_receive(
        conversation=conversation, client_message_id="q", text="Welche Daten speichert ihr?"
    )

    conversation.refresh_from_db()
    assert conversation.subject.learning_objected_at is not None
    assert conversation.consent.subject_id == conversation.subject_id


@pytest.mark.django_db
def test_without_an_email_address_the_bot_points_to_the_request_form(
    policies, knowledge_base, settings
):
    from bot.chat import chat_consent_give, chat_message_receive
    from bot.services import conversation_start

    settings.CHAT_IDENTITY_FIELDS = []
    conversation, _token = conversation_start(language="en")
    chat_consent_give(conversation=conversation, policy_version="2026-11")

    _message, outcome = chat_message_receive(
        conversation=conversation, client_message_id="q", text="data access request"
    )

    assert f"{settings.SITE_URL}/privacy/requests/" in outcome.replies[-1].text
    assert not DataRequest.objects.exists()


@pytest.mark.django_db
def test_asking_twice_starts_one_request(chat_conversation, django_capture_on_commit_callbacks):
    from bot.chat import chat_message_receive

    conversation = chat_conversation("en")
    with django_capture_on_commit_callbacks(execute=True):
        for number in (1, 2):
            chat_message_receive(
                conversation=conversation, client_message_id=f"q{number}", text="request my data"
            )

    assert DataRequest.objects.filter(kind="access").count() == 1


@pytest.mark.django_db
def test_a_chat_started_access_request_ends_in_the_download(
    client, chat_conversation, celery_eager, django_capture_on_commit_callbacks
):
    from bot.chat import chat_message_receive

    def link(path: str) -> str:
        return re.search(rf"http://\S+({path}[^/\s]+/)", mail.outbox[-1].body).group(1)

    with django_capture_on_commit_callbacks(execute=True):
        conversation = chat_conversation("en")
    # The address typed in the chat is a claim: the person proves it with the e-mailed link.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(link("/privacy/identity/verify/"))
    with django_capture_on_commit_callbacks(execute=True):
        chat_message_receive(
            conversation=conversation,
            client_message_id="q",
            text="Can you send me a copy of all the data you have on me?",
        )
    with django_capture_on_commit_callbacks(execute=True):
        client.post(link("/privacy/requests/verify/"))
    response = client.get(link("/privacy/exports/"))

    archive = zipfile.ZipFile(io.BytesIO(response.content))
    data = json.loads(archive.read("data.json"))
    texts = [
        m["text"] for c in data["data"]["bot.conversations"]["conversations"] for m in c["messages"]
    ]
    assert "Can you send me a copy of all the data you have on me?" in texts
    assert DataRequest.objects.get().status == "completed"


# Validation ---------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"action": "teleport"}, "Unknown action"),
        ({"action": "link"}, "needs a link address"),
        ({"action": "link", "action_url": "javascript:alert(1)"}, "https://"),
        ({"action": "privacy_access", "action_queue": "humans"}, "only for the hand-over"),
        ({"action": "handover", "action_url": "/account"}, "only for the link"),
    ],
)
def test_the_import_refuses_an_action_without_what_it_needs(fields, error):
    from django.core.exceptions import ValidationError

    from bot.knowledge_base import knowledge_base_import

    entry = {"slug": "x", "name": {"en": "X"}, "answers": {"en": "X."}, **fields}
    with translation.override("en"), pytest.raises(ValidationError, match=error):
        knowledge_base_import(data={"version": 1, "intents": [entry]})
    assert not Intent.objects.exists()


@pytest.mark.django_db
def test_actions_round_trip_through_the_export_and_survive_a_csv_import(knowledge_base):
    from bot.knowledge_base import (
        knowledge_base_csv_export,
        knowledge_base_csv_import,
        knowledge_base_export,
    )

    exported = {i["slug"]: i["action"] for i in knowledge_base_export()["intents"]}
    knowledge_base_csv_import(text=knowledge_base_csv_export())

    assert exported["human_agent"] == "handover"
    assert dict(Intent.objects.exclude(action="").values_list("slug", "action")) == DEMO_ACTIONS


@pytest.mark.parametrize(
    ("text", "hands_over"),
    [
        ("Ich möchte mit einer Person sprechen", True),
        ("I want to speak to a person", True),
        ("Mitarbeiter bitte", True),
        ("real person please", True),
        # The customer's own person (the data subject), not a member of staff.
        ("Ich möchte eine Auskunft über alle Daten zu meiner Person.", False),
        ("I want all the data relating to my person", False),
    ],
)
def test_the_handover_regex_asks_for_staff_not_for_the_customers_own_person(text, hands_over):
    assert customer_asks_for_human(text) is hands_over


@pytest.mark.django_db
def test_the_issues_access_question_starts_the_request_instead_of_a_handover(
    chat_conversation, django_capture_on_commit_callbacks
):
    from bot.chat import chat_message_receive

    conversation = chat_conversation("de")

    with django_capture_on_commit_callbacks(execute=True):
        _message, outcome = chat_message_receive(
            conversation=conversation,
            client_message_id="q",
            text="Ich möchte eine Auskunft nach DSGVO über alle bei Ihnen gespeicherten Daten "
            "zu meiner Person.",
        )

    assert not outcome.escalated
    assert "Kopie Ihrer Daten" in outcome.replies[-1].text
    assert DataRequest.objects.get().kind == "access"


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("channel", ["web", *CHANNELS])
def test_a_link_action_sends_the_address(channel, language, policies, knowledge_base, settings):
    from bot.chat import chat_consent_give, chat_message_receive
    from bot.services import conversation_start

    settings.CHAT_IDENTITY_FIELDS = []
    Intent.objects.filter(slug="newsletter_unsubscribe").update(
        action="link", action_url="/account/newsletter/"
    )
    conversation, _token = conversation_start(channel=channel, language=language)
    chat_consent_give(conversation=conversation, policy_version="2026-11")
    question = _question_for("newsletter_unsubscribe", language)

    _message, outcome = chat_message_receive(
        conversation=conversation, client_message_id="q", text=question
    )

    assert outcome.replies[-1].sender == "system"
    assert outcome.replies[-1].text.endswith(f"{settings.SITE_URL}/account/newsletter/")
    with translation.override(language):
        assert outcome.replies[-1].text.startswith(_("You can do this here: %(url)s")[:10])


@pytest.mark.django_db
def test_the_privacy_officer_sees_where_a_request_came_from(client, chat_conversation):
    from bot.chat import chat_message_receive
    from privacy.services import data_request_create
    from staff import roles
    from tests.factories import UserFactory

    conversation = chat_conversation("en")
    chat_message_receive(conversation=conversation, client_message_id="q", text="request my data")
    data_request_create(kind="erasure", email="someone@example.org")
    client.force_login(UserFactory(role=roles.PRIVACY_OFFICER))

    with translation.override("en"):
        page = client.get("/privacy/dashboard/", headers={"accept-language": "en"})
        admin = client.get("/admin/privacy/datarequest/", headers={"accept-language": "en"})

    text = page.content.decode()
    assert "Support chat (Website chat)" in text and "Privacy request page" in text
    assert "Support chat" in admin.content.decode()


# The knowledge-base API and the admin -------------------------------------------------------

API_INTENT = {
    "slug": "unsubscribe",
    "titles": {"en": "Unsubscribe"},
    "answers": {"en": "You can unsubscribe on your account page."},
    "examples": {"en": ["stop sending me newsletters"]},
}


@pytest.fixture
def supervisor_api():
    from rest_framework.test import APIClient

    from staff import roles
    from tests.factories import UserFactory

    client = APIClient()
    client.force_authenticate(UserFactory(role=roles.SUPERVISOR))
    return client


@pytest.mark.django_db
@pytest.mark.parametrize(
    "fields",
    [
        {"action": "link", "action_url": "https://shop.example/account/newsletter"},
        # A follow-up, like a hand-over, may name the queue its tasks go to.
        {"action": "follow_up", "action_queue": "callbacks"},
    ],
)
def test_the_api_sets_an_intents_action(supervisor_api, fields):

    created = supervisor_api.post(
        "/api/v1/knowledge/intents/", {**API_INTENT, **fields}, format="json"
    )

    assert created.status_code == 201, created.content
    assert {key: created.json()[key] for key in fields} == fields
    assert Intent.objects.get(slug="unsubscribe").action == fields["action"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "fields",
    [
        {"action": "teleport"},
        {"action": "link"},
        {"action": "link", "action_url": "http://plain.example/"},
        {"action": "privacy_access", "action_queue": "general"},
    ],
)
def test_the_api_refuses_an_action_without_what_it_needs(supervisor_api, fields):
    response = supervisor_api.post(
        "/api/v1/knowledge/intents/", {**API_INTENT, **fields}, format="json"
    )

    assert response.status_code == 400, response.content
    assert not Intent.objects.exists()


@pytest.mark.django_db
def test_the_admin_refuses_a_link_action_without_an_address(admin_client, knowledge_base):
    intent = Intent.objects.get(slug="newsletter_unsubscribe")
    form = {
        "slug": intent.slug,
        "topic": intent.topic,
        "is_active": "on",
        "action": "link",
        "action_queue": "",
        "action_url": "",
        **{
            f"{prefix}-{key}": value
            for prefix in ("answers", "examples")
            for key, value in (("TOTAL_FORMS", "0"), ("INITIAL_FORMS", "0"))
        },
    }

    response = admin_client.post(f"/admin/bot/intent/{intent.pk}/change/", form)

    assert response.status_code == 200  # the form again, with the error
    assert list(response.context["adminform"].form.errors) == ["action_url"]
    assert Intent.objects.get(pk=intent.pk).action == ""


@pytest.mark.django_db
def test_agents_see_what_the_action_did_in_the_transcript(
    client, chat_conversation, agent, queue, django_capture_on_commit_callbacks
):
    from bot.chat import chat_message_receive

    conversation = chat_conversation("en")
    with django_capture_on_commit_callbacks(execute=True):
        chat_message_receive(
            conversation=conversation, client_message_id="q", text="Are you a human?"
        )
    client.force_login(agent)

    page = client.get(
        f"/inbox/c/{conversation.public_id}/", headers={"accept-language": "en"}
    ).content.decode()

    handover = Message.objects.get(conversation=conversation, sender="system")
    assert Assignment.objects.get(conversation=conversation).queue == queue
    assert 'class="msg msg-system"' in page and handover.text in page
