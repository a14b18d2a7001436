import json

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator

from bot import chat
from bot.dialog import SuggestionPick
from bot.models import ChoiceExample, Conversation, Message
from bot.services import message_append, suggestion_choice_record
from bot.tokens import resume_token_hash
from privacy.models import ConsentRecord, DataSubject
from privacy.selectors import learning_refusal
from supportdesk.asgi import application

pytestmark = pytest.mark.django_db(transaction=True)

ORIGIN = [(b"origin", b"http://localhost"), (b"host", b"localhost")]


@pytest.fixture
def chat_ready(policies, knowledge_base, settings):
    settings.CHAT_IDENTITY_FIELDS = ["name", "email"]


async def _connect():
    communicator = WebsocketCommunicator(application, "/ws/chat/", headers=ORIGIN)
    connected, _subprotocol = await communicator.connect()
    assert connected
    return communicator


async def _hello(communicator, token=None, lang="de", since=0):
    await communicator.send_json_to(
        {"type": "hello", "conversation": token, "lang": lang, "since": since}
    )
    return await communicator.receive_json_from(timeout=10)


async def _ready_conversation(lang="de"):
    """Connected, consented and identified: the state in which questions are answered."""
    communicator = await _connect()
    welcome = await _hello(communicator, lang=lang)
    await communicator.send_json_to(
        {"type": "consent", "accept": True, "policy_version": welcome["consent"]["policy_version"]}
    )
    assert (await communicator.receive_json_from(timeout=10))["type"] == "consent.accepted"
    await communicator.send_json_to(
        {"type": "identify", "name": "Erika Mustermann", "email": "erika@example.org"}
    )
    assert (await communicator.receive_json_from(timeout=10))["type"] == "identified"
    greeting = await communicator.receive_json_from(timeout=10)
    assert greeting["type"] == "message" and greeting["from"] == "bot"
    return communicator, welcome["conversation"]


async def _conversation(token):
    return await Conversation.objects.aget(resume_token_hash=resume_token_hash(token))


# Hello, resume ---------------------------------------------------------------------------


async def test_hello_starts_a_conversation_and_asks_for_consent(chat_ready):
    communicator = await _connect()

    welcome = await _hello(communicator, lang="en")

    assert welcome["type"] == "welcome" and welcome["resumed"] is False
    consent = welcome["consent"]
    assert consent["required"] is True and consent["policy_version"] == "2026-11"
    assert consent["policy_url"] == "/privacy/policy/en/" and consent["summary"]
    assert welcome["identify"]["fields"] == ["name", "email"]
    assert (await _conversation(welcome["conversation"])).language == "en"
    await communicator.disconnect()


async def test_a_reconnecting_client_gets_the_history_since_its_last_seq(chat_ready):
    communicator, token = await _ready_conversation()
    await communicator.disconnect()
    conversation = await _conversation(token)
    for text in ["eins", "zwei", "drei"]:
        await sync_to_async(message_append)(conversation=conversation, sender="bot", text=text)

    again = await _connect()
    welcome = await _hello(again, token=token, since=1)

    assert welcome["conversation"] == token and welcome["resumed"] is True
    assert welcome["consent"]["required"] is False
    assert [(m["seq"], m["text"]) for m in welcome["history"]] == [(2, "zwei"), (3, "drei")]
    await again.disconnect()


@pytest.mark.parametrize("token", ["forged", "x" * 500])
async def test_an_unknown_resume_token_is_refused_and_a_new_conversation_starts(chat_ready, token):
    communicator = await _connect()

    error = await _hello(communicator, token=token)
    welcome = await communicator.receive_json_from(timeout=10)

    assert error["code"] == "conversation_not_found"
    assert welcome["conversation"] != token and welcome["history"] == []
    await communicator.disconnect()


async def test_a_closed_conversation_cannot_be_resumed(chat_ready):
    communicator, token = await _ready_conversation()
    await communicator.disconnect()
    await Conversation.objects.filter(resume_token_hash=resume_token_hash(token)).aupdate(
        status="closed", closed_at="2026-01-01T00:00:00Z", resolved_at="2026-01-01T00:00:00Z"
    )

    again = await _connect()
    error = await _hello(again, token=token)
    welcome = await again.receive_json_from(timeout=10)

    assert error["code"] == "conversation_not_found" and welcome["history"] == []
    await again.disconnect()


# Consent ---------------------------------------------------------------------------------


async def test_nothing_is_stored_before_consent(chat_ready):
    communicator = await _connect()
    await _hello(communicator)

    await communicator.send_json_to({"type": "message", "id": "c1", "text": "a@b.de"})
    message_error = await communicator.receive_json_from(timeout=10)
    await communicator.send_json_to({"type": "identify", "name": "Erika", "email": "e@x.de"})
    identify_error = await communicator.receive_json_from(timeout=10)

    assert message_error == {
        "type": "error",
        "code": "consent_required",
        "detail": "Bitte stimmen Sie der Datenschutzerklärung zu, bevor Sie uns schreiben.",
        "id": "c1",
    }
    assert identify_error["code"] == "consent_required"
    assert await Message.objects.acount() == 0 and await DataSubject.objects.acount() == 0
    await communicator.disconnect()


async def test_accepting_records_which_policy_version_and_when(chat_ready):
    communicator, token = await _ready_conversation(lang="en")

    conversation = await Conversation.objects.select_related("consent__policy_version").aget(
        resume_token_hash=resume_token_hash(token)
    )
    consent = conversation.consent
    assert consent.policy_version.version == "2026-11" and consent.policy_version.language == "en"
    assert consent.purposes == ["support_chat"]
    assert consent.channel == "web" and consent.granted_at and consent.ip_address is None
    assert consent.subject_id == conversation.subject_id
    await communicator.disconnect()


async def test_the_consent_card_offers_bot_improvement_apart_from_the_chat(chat_ready):
    communicator = await _connect()

    consent = (await _hello(communicator, lang="en"))["consent"]

    assert consent["purposes"] == ["support_chat"]
    assert consent["optional_purposes"] == ["bot_improvement"]
    await communicator.disconnect()


async def _consent_with(frame_extra: dict) -> tuple[dict, str]:
    communicator = await _connect()
    welcome = await _hello(communicator, lang="en")
    await communicator.send_json_to(
        {
            "type": "consent",
            "accept": True,
            "policy_version": welcome["consent"]["policy_version"],
            **frame_extra,
        }
    )
    reply = await communicator.receive_json_from(timeout=10)
    await communicator.disconnect()
    return reply, welcome["conversation"]


async def _consent_purposes(token: str) -> list[str] | None:
    conversation = await Conversation.objects.select_related("consent").aget(
        resume_token_hash=resume_token_hash(token)
    )
    return conversation.consent.purposes if conversation.consent else None


@pytest.mark.parametrize(
    ("chosen", "recorded"),
    [
        ({}, ["support_chat"]),  # an older client, or the API: the chat only
        ({"purposes": []}, ["support_chat"]),
        ({"purposes": ["support_chat"]}, ["support_chat"]),
        ({"purposes": ["bot_improvement"]}, ["bot_improvement", "support_chat"]),
        ({"purposes": ["support_chat", "bot_improvement"]}, ["bot_improvement", "support_chat"]),
    ],
)
async def test_accepting_records_the_chat_and_exactly_the_purposes_ticked(
    chat_ready, chosen, recorded
):
    reply, token = await _consent_with(chosen)

    assert reply["type"] == "consent.accepted"
    assert await _consent_purposes(token) == recorded


@pytest.mark.parametrize(("ticked", "learnt"), [(False, False), (True, True)])
async def test_the_bot_learns_from_a_chat_only_when_its_box_was_ticked(chat_ready, ticked, learnt):
    # given: consent through the card, the optional box ticked or left as it is
    chosen = {"purposes": ["support_chat", "bot_improvement"]} if ticked else {}
    _reply, token = await _consent_with(chosen)
    conversation = await Conversation.objects.select_related("consent").aget(
        resume_token_hash=resume_token_hash(token)
    )

    # when: the customer asks, is offered choices, and picks one (as bot.chat records it)
    def ask_and_choose():
        message_append(conversation=conversation, sender="customer", text="Kosten Lieferung?")
        message_append(conversation=conversation, sender="customer", text="Versandkosten")
        suggestion_choice_record(
            conversation=conversation,
            pick=SuggestionPick(offered_first="order_status", chosen="shipping_costs"),
        )
        return learning_refusal(subject_id=None, consent_id=conversation.consent_id)

    refusal = await sync_to_async(ask_and_choose)()

    # then: the question is kept to learn from (and teaching allowed) only with the box
    assert await ChoiceExample.objects.aexists() is learnt
    assert refusal == ("" if learnt else "no_learning_consent")


@pytest.mark.parametrize("purposes", [["marketing"], ["follow_up"], ["support_chat", "x"]])
async def test_an_unknown_consent_purpose_is_refused_and_nothing_recorded(chat_ready, purposes):
    reply, token = await _consent_with({"purposes": purposes})

    assert reply["type"] == "error" and reply["code"] == "invalid_purpose"
    assert reply["detail"] == "Unknown consent purpose."
    assert await _consent_purposes(token) is None
    assert await ConsentRecord.objects.acount() == 0


@pytest.mark.parametrize("purposes", ["bot_improvement", [1], None])
async def test_purposes_not_a_list_of_names_is_refused(chat_ready, purposes):
    reply, _token = await _consent_with({"purposes": purposes})

    assert reply["type"] == "error" and reply["code"] == "missing_field"
    assert await ConsentRecord.objects.acount() == 0


async def test_an_outdated_policy_version_is_refused(chat_ready):
    communicator = await _connect()
    await _hello(communicator, lang="en")

    await communicator.send_json_to({"type": "consent", "accept": True, "policy_version": "2025"})
    error = await communicator.receive_json_from(timeout=10)

    assert error["code"] == "policy_outdated" and "outdated" in error["detail"]
    assert await ConsentRecord.objects.acount() == 0
    await communicator.disconnect()


async def test_declining_stores_nothing_and_says_the_chat_cannot_be_used(chat_ready):
    communicator = await _connect()
    await _hello(communicator, lang="en")

    await communicator.send_json_to({"type": "consent", "accept": False})
    declined = await communicator.receive_json_from(timeout=10)

    assert declined["type"] == "consent.declined" and "cannot be used" in declined["detail"]
    assert await ConsentRecord.objects.acount() == 0
    await communicator.disconnect()


async def test_withdrawal_is_recorded_and_stops_collection(chat_ready):
    communicator, token = await _ready_conversation(lang="en")

    await communicator.send_json_to({"type": "withdraw_consent"})
    withdrawn = await communicator.receive_json_from(timeout=10)
    await communicator.send_json_to({"type": "message", "id": "after", "text": "still there?"})
    error = await communicator.receive_json_from(timeout=10)

    assert withdrawn["type"] == "consent.withdrawn" and "deleted" in withdrawn["detail"]
    assert withdrawn["consent"]["required"] is True
    assert error["code"] == "consent_required"
    assert await ConsentRecord.objects.filter(withdrawn_at__isnull=False).acount() == 1
    assert not await Message.objects.filter(client_message_id="after").aexists()
    await communicator.disconnect()


# Identification (data minimisation) ------------------------------------------------------


async def test_only_the_configured_identity_fields_are_accepted(chat_ready, settings):
    settings.CHAT_IDENTITY_FIELDS = ["email"]
    communicator = await _connect()
    welcome = await _hello(communicator)
    await communicator.send_json_to(
        {"type": "consent", "accept": True, "policy_version": welcome["consent"]["policy_version"]}
    )
    accepted = await communicator.receive_json_from(timeout=10)

    await communicator.send_json_to({"type": "identify", "name": "Erika", "email": "e@x.de"})
    error = await communicator.receive_json_from(timeout=10)

    assert accepted["identify"] == {"required": True, "fields": ["email"]}
    assert error["code"] == "field_not_requested"
    assert await DataSubject.objects.acount() == 0
    await communicator.disconnect()


async def test_an_invalid_email_gets_a_field_error(chat_ready):
    communicator = await _connect()
    welcome = await _hello(communicator, lang="en")
    await communicator.send_json_to(
        {"type": "consent", "accept": True, "policy_version": welcome["consent"]["policy_version"]}
    )
    await communicator.receive_json_from(timeout=10)

    await communicator.send_json_to({"type": "identify", "name": "Erika", "email": "nope"})
    error = await communicator.receive_json_from(timeout=10)

    assert error["code"] == "invalid_identity" and "email" in error["fields"]
    await communicator.disconnect()


async def test_questions_wait_until_the_customer_is_identified(chat_ready):
    communicator = await _connect()
    welcome = await _hello(communicator)
    await communicator.send_json_to(
        {"type": "consent", "accept": True, "policy_version": welcome["consent"]["policy_version"]}
    )
    await communicator.receive_json_from(timeout=10)

    await communicator.send_json_to({"type": "message", "id": "q", "text": "Versandkosten?"})

    assert (await communicator.receive_json_from(timeout=10))["code"] == "identity_required"
    await communicator.disconnect()


async def test_no_identity_asked_when_none_is_configured(chat_ready, settings):
    settings.CHAT_IDENTITY_FIELDS = []
    communicator = await _connect()
    welcome = await _hello(communicator)
    await communicator.send_json_to(
        {"type": "consent", "accept": True, "policy_version": welcome["consent"]["policy_version"]}
    )
    await communicator.receive_json_from(timeout=10)
    greeting = await communicator.receive_json_from(timeout=10)

    await communicator.send_json_to({"type": "message", "id": "q", "text": "Versandkosten?"})

    assert greeting["from"] == "bot" and greeting["text"].startswith("Hallo!")
    assert (await communicator.receive_json_from(timeout=10))["type"] == "ack"
    await communicator.disconnect()


@pytest.mark.parametrize(
    ("lang", "hello"),
    [("de", "Hallo! Wie kann ich Ihnen helfen?"), ("en", "Hello! How can I help you?")],
)
async def test_once_identified_the_bot_greets_with_the_topics_it_knows(chat_ready, lang, hello):
    communicator = await _connect()
    welcome = await _hello(communicator, lang=lang)
    await communicator.send_json_to(
        {"type": "consent", "accept": True, "policy_version": welcome["consent"]["policy_version"]}
    )
    assert (await communicator.receive_json_from(timeout=10))["type"] == "consent.accepted"
    assert await communicator.receive_nothing()  # not before identification

    await communicator.send_json_to(
        {"type": "identify", "name": "Erika Mustermann", "email": "erika@example.org"}
    )
    assert (await communicator.receive_json_from(timeout=10))["type"] == "identified"
    greeting = await communicator.receive_json_from(timeout=10)

    assert greeting["from"] == "bot" and greeting["text"].startswith(hello)
    assert "Erika" not in greeting["text"]
    topics = await sync_to_async(chat.bot_topics)(lang)
    assert topics and greeting["suggestions"] == list(topics)
    # Not stored: the transcript starts with the customer's first question.
    assert not await Message.objects.filter(
        conversation__resume_token_hash=resume_token_hash(welcome["conversation"])
    ).aexists()
    await communicator.disconnect()


async def test_a_resumed_conversation_is_not_greeted_again(chat_ready):
    communicator, token = await _ready_conversation()
    await communicator.send_json_to(
        {"type": "message", "id": "q", "text": "Wie hoch sind die Versandkosten?"}
    )
    await communicator.receive_json_from(timeout=10)  # ack
    await communicator.receive_json_from(timeout=10)  # answer
    await communicator.disconnect()

    communicator = await _connect()
    welcome = await _hello(communicator, token=token)

    assert welcome["resumed"] and await communicator.receive_nothing()
    await communicator.disconnect()


# Messages, answers, escalation -----------------------------------------------------------


async def test_a_question_is_stored_acknowledged_and_answered(chat_ready):
    communicator, token = await _ready_conversation()

    await communicator.send_json_to(
        {"type": "message", "id": "q1", "text": "Wie hoch sind die Versandkosten?"}
    )
    ack = await communicator.receive_json_from(timeout=10)
    answer = await communicator.receive_json_from(timeout=10)

    assert ack == {"type": "ack", "id": "q1", "seq": 1}
    assert answer["type"] == "message" and answer["from"] == "bot" and answer["seq"] == 2
    assert "4,95" in answer["text"] or "50" in answer["text"]
    stored = await Message.objects.aget(client_message_id="q1")
    assert stored.text == "Wie hoch sind die Versandkosten?"
    await communicator.disconnect()


async def test_a_resent_message_is_acknowledged_again_and_stored_once(chat_ready):
    communicator, _token = await _ready_conversation()
    frame = {"type": "message", "id": "same", "text": "Wo ist meine Bestellung?"}
    await communicator.send_json_to(frame)
    first_ack = await communicator.receive_json_from(timeout=10)
    await communicator.receive_json_from(timeout=10)  # the answer

    await communicator.send_json_to(frame)
    second_ack = await communicator.receive_json_from(timeout=10)

    assert first_ack == second_ack
    assert await Message.objects.filter(client_message_id="same").acount() == 1
    assert await communicator.receive_nothing()
    await communicator.disconnect()


async def test_asking_for_a_human_escalates(chat_ready):
    communicator, token = await _ready_conversation(lang="en")

    await communicator.send_json_to(
        {"type": "message", "id": "h", "text": "I want to talk to a human please"}
    )
    await communicator.receive_json_from(timeout=10)  # ack
    handover = await communicator.receive_json_from(timeout=10)
    status = await communicator.receive_json_from(timeout=10)

    assert handover["from"] == "system" and "team" in handover["text"]
    assert status["type"] == "status" and status["status"] == "waiting"
    conversation = await _conversation(token)
    assert conversation.escalation_reason == "customer_request"
    await communicator.disconnect()


@pytest.fixture
def team_away(settings):
    """Opening hours that exclude this moment: one hour tomorrow; nobody online."""
    from django.utils import timezone

    from bot.opening_hours import DAYS

    tomorrow = DAYS[(timezone.localdate().weekday() + 1) % 7]
    settings.SUPPORT_OPENING_HOURS = f"{tomorrow} 08:00-09:00"


@pytest.mark.parametrize(
    ("lang", "back", "day"),
    [("de", "Unser Team ist", "08:00"), ("en", "Our team is back", "08:00")],
)
async def test_outside_the_hours_the_waiting_notice_says_when_the_team_is_back(
    chat_ready, team_away, lang, back, day
):
    communicator, token = await _ready_conversation(lang=lang)

    await communicator.send_json_to({"type": "escalate"})
    handover = await communicator.receive_json_from(timeout=10)
    status = await communicator.receive_json_from(timeout=10)

    assert status["status"] == "waiting" and status["notice"].startswith(back)
    # The same day and time as the hand-over message: never "shortly" beside "back …".
    when = handover["text"].split(day)[0].split()[-1] + " " + day
    assert when in status["notice"] and when in handover["text"]
    await communicator.disconnect()
    # A resumed conversation is told the same.
    communicator = await _connect()
    welcome = await _hello(communicator, token=token, lang=lang)
    assert welcome["notice"] == status["notice"]
    await communicator.disconnect()


async def test_within_the_hours_the_waiting_notice_says_shortly(chat_ready):
    # (the test settings: no opening hours, the team is always there)
    communicator, _token = await _ready_conversation(lang="en")

    await communicator.send_json_to({"type": "escalate"})
    await communicator.receive_json_from(timeout=10)
    status = await communicator.receive_json_from(timeout=10)

    assert status["notice"] == "A member of our team will answer here shortly."
    await communicator.disconnect()


async def test_the_escalate_button_escalates(chat_ready):
    communicator, token = await _ready_conversation()

    await communicator.send_json_to({"type": "escalate"})
    handover = await communicator.receive_json_from(timeout=10)

    assert handover["from"] == "system"
    assert (await communicator.receive_json_from(timeout=10))["status"] == "waiting"
    await communicator.disconnect()


@pytest.mark.parametrize(
    ("lang", "question", "person"),
    [
        ("de", "Quantenphysik Schrödinger Katze Experiment", "Mit einer Person sprechen"),
        ("en", "Quantum physics Schrödinger cat experiment", "Talk to a person"),
    ],
)
async def test_an_off_topic_question_gets_the_topics_and_a_way_to_a_person(
    chat_ready, lang, question, person
):
    communicator, token = await _ready_conversation(lang=lang)

    await communicator.send_json_to({"type": "message", "id": "x", "text": question})
    await communicator.receive_json_from(timeout=10)  # ack
    offer = await communicator.receive_json_from(timeout=10)

    assert offer["from"] == "bot"
    topics, last = offer["suggestions"][:-1], offer["suggestions"][-1]
    assert last == person
    assert topics and set(topics) <= set(await sync_to_async(chat.bot_topics)(lang))
    assert (await _conversation(token)).status == Conversation.Status.BOT
    await communicator.disconnect()


async def test_a_second_off_topic_question_in_a_row_goes_to_a_person(chat_ready):
    communicator, token = await _ready_conversation()
    for number, text in enumerate(
        ["Quantenphysik Schrödinger Katze", "Wer hat gestern das Fußballspiel gewonnen?"]
    ):
        await communicator.send_json_to({"type": "message", "id": f"x{number}", "text": text})
        await communicator.receive_json_from(timeout=10)  # ack
        reply = await communicator.receive_json_from(timeout=10)

    assert reply["from"] == "system"
    assert (await _conversation(token)).escalation_reason == "low_confidence"
    await communicator.disconnect()


async def test_choosing_the_person_chip_hands_over(chat_ready):
    communicator, token = await _ready_conversation()
    await communicator.send_json_to(
        {"type": "message", "id": "x", "text": "Quantenphysik Schrödinger Katze"}
    )
    await communicator.receive_json_from(timeout=10)  # ack
    offer = await communicator.receive_json_from(timeout=10)

    await communicator.send_json_to(
        {"type": "message", "id": "y", "text": offer["suggestions"][-1]}
    )
    await communicator.receive_json_from(timeout=10)  # ack
    handover = await communicator.receive_json_from(timeout=10)

    assert handover["from"] == "system"
    assert (await _conversation(token)).escalation_reason == "customer_request"
    await communicator.disconnect()


async def test_negative_feedback_on_an_answer_escalates(chat_ready):
    communicator, token = await _ready_conversation()
    await communicator.send_json_to(
        {"type": "message", "id": "q", "text": "Wie hoch sind die Versandkosten?"}
    )
    await communicator.receive_json_from(timeout=10)
    answer = await communicator.receive_json_from(timeout=10)

    await communicator.send_json_to({"type": "feedback", "seq": answer["seq"], "helpful": False})
    recorded = await communicator.receive_json_from(timeout=10)
    handover = await communicator.receive_json_from(timeout=10)

    assert recorded == {"type": "feedback.recorded", "seq": answer["seq"]}
    assert handover["from"] == "system"
    stored = await Message.objects.aget(
        seq=answer["seq"], conversation__resume_token_hash=resume_token_hash(token)
    )
    assert stored.helpful is False
    assert (await _conversation(token)).escalation_reason == "negative_feedback"
    await communicator.disconnect()


@pytest.mark.parametrize(
    ("lang", "question", "answer", "note"),
    [
        ("de", "Wie hoch sind die Versandkosten?", "4,95", "Eine Person aus unserem Team"),
        ("en", "How much is shipping?", "4.95", "A member of our team"),
    ],
)
async def test_while_waiting_for_a_person_the_bot_answers_what_it_is_sure_of(
    chat_ready, lang, question, answer, note
):
    communicator, token = await _ready_conversation(lang=lang)
    await communicator.send_json_to({"type": "escalate"})
    await communicator.receive_json_from(timeout=10)
    await communicator.receive_json_from(timeout=10)

    await communicator.send_json_to({"type": "message", "id": "q", "text": question})

    assert (await communicator.receive_json_from(timeout=10))["type"] == "ack"
    reply = await communicator.receive_json_from(timeout=10)
    follows = await communicator.receive_json_from(timeout=10)
    assert reply["from"] == "bot" and answer in reply["text"]
    assert follows["from"] == "system" and follows["text"].startswith(note)
    assert (await _conversation(token)).status == Conversation.Status.WAITING
    await communicator.disconnect()


async def test_while_waiting_the_bot_leaves_what_it_is_unsure_of_to_the_person(chat_ready):
    communicator, _token = await _ready_conversation()
    await communicator.send_json_to({"type": "escalate"})
    await communicator.receive_json_from(timeout=10)
    await communicator.receive_json_from(timeout=10)

    await communicator.send_json_to(
        {"type": "message", "id": "q", "text": "Quantenphysik Schrödinger Katze Experiment"}
    )

    assert (await communicator.receive_json_from(timeout=10))["type"] == "ack"
    assert await communicator.receive_nothing()
    await communicator.disconnect()


async def test_once_an_agent_has_it_the_bot_stays_quiet(chat_ready):
    communicator, token = await _ready_conversation()
    await communicator.send_json_to({"type": "escalate"})
    await communicator.receive_json_from(timeout=10)
    await communicator.receive_json_from(timeout=10)
    await Conversation.objects.filter(resume_token_hash=resume_token_hash(token)).aupdate(
        status=Conversation.Status.ASSIGNED
    )

    await communicator.send_json_to({"type": "message", "id": "q", "text": "Versandkosten?"})

    assert (await communicator.receive_json_from(timeout=10))["type"] == "ack"
    assert await communicator.receive_nothing()
    await communicator.disconnect()


# Bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ("not json", "invalid_json"),
        (json.dumps([1, 2]), "invalid_frame"),
        (json.dumps({"no": "type"}), "invalid_frame"),
        (json.dumps({"type": "nonsense"}), "unknown_type"),
        (json.dumps({"type": "message", "text": "no id"}), "missing_field"),
        (json.dumps({"type": "message", "id": "1", "text": 5}), "missing_field"),
        (json.dumps({"type": "message", "id": "1", "text": "   "}), "empty_text"),
        (json.dumps({"type": "message", "id": "1", "text": "x" * 4001}), "text_too_long"),
        (json.dumps({"type": "feedback", "seq": "1", "helpful": True}), "missing_field"),
        (json.dumps({"type": "feedback", "seq": 99, "helpful": False}), "unknown_message"),
        (json.dumps({"type": "consent", "accept": "yes"}), "missing_field"),
        ("x" * 70000, "frame_too_large"),
    ],
)
async def test_bad_input_gets_an_error_and_the_connection_stays_usable(chat_ready, frame, code):
    communicator, _token = await _ready_conversation()
    stored_before = await Message.objects.acount()

    await communicator.send_to(text_data=frame)
    error = await communicator.receive_json_from(timeout=10)
    await communicator.send_json_to({"type": "message", "id": "ok", "text": "Versandkosten?"})
    ack = await communicator.receive_json_from(timeout=10)

    assert error["type"] == "error" and error["code"] == code and error["detail"]
    assert ack["type"] == "ack" and ack["seq"] == stored_before + 1
    await communicator.disconnect()


async def test_a_binary_frame_gets_an_error(chat_ready):
    communicator = await _connect()

    await communicator.send_to(bytes_data=b"\x00\x01")

    assert (await communicator.receive_json_from(timeout=10))["code"] == "text_frames_only"
    await communicator.disconnect()


async def test_frames_before_hello_are_refused(chat_ready):
    communicator = await _connect()

    await communicator.send_json_to({"type": "message", "id": "1", "text": "hi"})

    assert (await communicator.receive_json_from(timeout=10))["code"] == "hello_required"
    await communicator.disconnect()


async def test_flooding_is_rate_limited(chat_ready, settings):
    settings.CHAT_RATE_PER_SECOND, settings.CHAT_RATE_BURST = 1, 3
    communicator = await _connect()

    for _ in range(4):
        await communicator.send_json_to({"type": "nonsense"})
    codes = [(await communicator.receive_json_from(timeout=10))["code"] for _ in range(4)]

    assert codes == ["hello_required"] * 3 + ["rate_limited"]
    await communicator.disconnect()


async def test_errors_are_in_the_customers_language(chat_ready):
    communicator = await _connect()
    await _hello(communicator, lang="en")

    await communicator.send_json_to({"type": "nonsense"})

    assert (await communicator.receive_json_from(timeout=10))["detail"] == "Unknown frame type."
    await communicator.disconnect()


async def test_a_foreign_origin_is_refused():
    communicator = WebsocketCommunicator(
        application, "/ws/chat/", headers=[(b"origin", b"https://evil.example")]
    )

    connected, _code = await communicator.connect()

    assert connected is False


async def test_a_customer_reaches_only_their_own_conversation(chat_ready):
    first, first_token = await _ready_conversation()
    await first.send_json_to({"type": "message", "id": "secret", "text": "Meine IBAN ist geheim"})
    await first.receive_json_from(timeout=10)
    await first.disconnect()

    other = await _connect()
    welcome = await _hello(other)

    assert welcome["conversation"] != first_token and welcome["history"] == []
    await other.disconnect()


# Resume without loss, anonymous mode, per-conversation rate ------------------------------


async def test_a_message_resent_after_a_dropped_connection_is_stored_once(chat_ready):
    # given a message that was stored, but whose ack never reached the client
    communicator, token = await _ready_conversation()
    await communicator.send_json_to({"type": "message", "id": "m1", "text": "Wo ist mein Paket?"})
    await communicator.disconnect()  # dropped before the client read the ack

    # when the client reconnects, resumes from its last seq and resends its outbox
    again = await _connect()
    welcome = await _hello(again, token=token, since=0)
    await again.send_json_to({"type": "message", "id": "m1", "text": "Wo ist mein Paket?"})
    ack = await again.receive_json_from(timeout=10)

    # then it finds the message and its answer in the history, acked once more, stored once
    history = [(m["from"], m["text"]) for m in welcome["history"]]
    assert history[0] == ("customer", "Wo ist mein Paket?") and history[1][0] in ("bot", "system")
    assert ack == {"type": "ack", "id": "m1", "seq": 1}
    assert await Message.objects.filter(client_message_id="m1").acount() == 1
    await again.disconnect()


async def test_anonymous_questions_are_answered_and_nothing_is_stored(chat_ready, settings):
    settings.CHAT_ANONYMOUS_MODE = True
    communicator = await _connect()
    await _hello(communicator)
    await communicator.send_json_to({"type": "consent", "accept": False})
    declined = await communicator.receive_json_from(timeout=10)

    await communicator.send_json_to(
        {"type": "message", "id": "a1", "text": "Wie hoch sind die Versandkosten?"}
    )
    ack = await communicator.receive_json_from(timeout=10)
    answer = await communicator.receive_json_from(timeout=10)

    assert declined["anonymous_available"] is True and "anonym" in declined["detail"]
    assert ack == {"type": "ack", "id": "a1", "seq": None, "stored": False}
    assert answer["from"] == "bot" and "4,95" in answer["text"]
    assert await Message.objects.acount() == 0 and await ConsentRecord.objects.acount() == 0
    await communicator.disconnect()


async def test_the_rate_limit_holds_across_connections_of_one_conversation(chat_ready, monkeypatch):
    # One fixed window for the whole test: the limit, not the clock, decides.
    monkeypatch.setattr("bot.consumers.time.time", lambda: 1_800_000_000.0)
    first, token = await _ready_conversation()
    second = await _connect()
    await _hello(second, token=token)

    codes = []
    for n in range(11):  # the default burst is 10 messages per conversation
        communicator = first if n % 2 else second
        await communicator.send_json_to(
            {"type": "message", "id": f"r{n}", "text": "Versandkosten?"}
        )
        frame = await communicator.receive_json_from(timeout=10)
        codes.append(frame.get("code", frame["type"]))
        if frame["type"] == "ack":
            await communicator.receive_json_from(timeout=10)  # the answer

    assert codes == ["ack"] * 10 + ["rate_limited"]
    assert await Message.objects.filter(sender="customer").acount() == 10
    await first.disconnect()
    await second.disconnect()


async def test_after_escalation_the_customers_messages_reach_the_agents_live(chat_ready):
    from channels.layers import get_channel_layer

    communicator, token = await _ready_conversation()
    await communicator.send_json_to({"type": "escalate"})
    await communicator.receive_json_from(timeout=10)
    await communicator.receive_json_from(timeout=10)
    conversation = await _conversation(token)
    layer = get_channel_layer()
    agent_channel = await layer.new_channel()
    await layer.group_add(f"conversation_{conversation.public_id.hex}", agent_channel)

    await communicator.send_json_to({"type": "message", "id": "live", "text": "Noch da?"})
    await communicator.receive_json_from(timeout=10)  # ack
    event = await layer.receive(agent_channel)

    assert event["type"] == "conversation.message"
    assert event["frame"]["text"] == "Noch da?" and event["frame"]["from"] == "customer"
    await communicator.disconnect()


async def test_while_waiting_the_agents_see_the_bots_answers_live(chat_ready):
    from channels.layers import get_channel_layer

    communicator, token = await _ready_conversation()
    await communicator.send_json_to({"type": "escalate"})
    await communicator.receive_json_from(timeout=10)
    await communicator.receive_json_from(timeout=10)
    conversation = await _conversation(token)
    layer = get_channel_layer()
    agent_channel = await layer.new_channel()
    await layer.group_add(f"conversation_{conversation.public_id.hex}", agent_channel)

    await communicator.send_json_to(
        {"type": "message", "id": "q", "text": "Wie hoch sind die Versandkosten?"}
    )
    frames = [(await layer.receive(agent_channel))["frame"] for _ in range(3)]

    assert [frame["from"] for frame in frames] == ["customer", "bot", "system"]
    assert "4,95" in frames[1]["text"]
    await communicator.disconnect()


async def test_escalation_listeners_run_after_commit_with_the_conversation_id(chat_ready):
    from bot import hooks

    seen = []
    hooks.listener_register(hooks.ESCALATED, seen.append)
    try:
        communicator, token = await _ready_conversation()
        await communicator.send_json_to({"type": "escalate"})
        await communicator.receive_json_from(timeout=10)
        await communicator.receive_json_from(timeout=10)
    finally:
        hooks._listeners[hooks.ESCALATED].remove(seen.append)

    assert seen == [(await _conversation(token)).pk]
    await communicator.disconnect()


async def test_a_resolved_conversation_can_be_rated_once_resolved(chat_ready):
    from bot.services import conversation_resolve

    communicator, token = await _ready_conversation()
    await communicator.send_json_to({"type": "rating", "score": 5})
    too_early = await communicator.receive_json_from(timeout=10)
    await sync_to_async(conversation_resolve)(conversation=await _conversation(token))
    # The status move tells the open page.
    told = await communicator.receive_json_from(timeout=10)

    await communicator.send_json_to({"type": "rating", "score": 9})
    invalid = await communicator.receive_json_from(timeout=10)
    await communicator.send_json_to({"type": "rating", "score": 4})
    recorded = await communicator.receive_json_from(timeout=10)

    assert too_early["code"] == "not_resolved" and invalid["code"] == "invalid_rating"
    assert told == {"type": "status", "status": "resolved"}
    assert recorded == {"type": "rating.recorded", "score": 4}
    assert (await _conversation(token)).csat_score == 4
    await communicator.disconnect()


async def test_writing_after_resolution_hands_the_case_back_to_the_team(chat_ready):
    from bot.services import conversation_resolve

    communicator, token = await _ready_conversation()
    await sync_to_async(conversation_resolve)(conversation=await _conversation(token))
    told = await communicator.receive_json_from(timeout=10)  # the status move tells the page

    await communicator.send_json_to({"type": "message", "id": "again", "text": "Noch eine Frage"})
    ack = await communicator.receive_json_from(timeout=10)
    status = await communicator.receive_json_from(timeout=10)

    conversation = await _conversation(token)
    assert told == {"type": "status", "status": "resolved"}
    assert ack["type"] == "ack" and status["status"] == "waiting"
    assert conversation.status == "waiting" and conversation.resolved_at is None
    assert conversation.escalation_reason == "customer_wrote_again"
    await communicator.disconnect()
