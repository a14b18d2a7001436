"""The text dialog on messengers: consent in words, identification field by field,
withdrawal, non-text messages, choices, feedback. Driven through the webhooks."""

import pytest
from django.utils import timezone

from bot import chat
from bot.channels.texts import consent_prompt, notice
from bot.models import ChannelConversation, ChannelIdentity, Conversation, Message
from privacy.models import AuditEvent, ConsentRecord, DataSubject
from privacy.selectors import learning_refusal
from tests.bot.channels.conftest import CHANNELS, PROFILE_NAME

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer(driver, active_channel, policies, knowledge_base):
    def make(channel: str):
        active_channel(channel)
        return driver(channel)

    return make


@pytest.fixture
def consented(customer, settings):
    """A customer who has consented; identification switched off unless a test wants it."""
    settings.CHAT_IDENTITY_FIELDS = []

    def make(channel: str, word: str = "JA"):
        platform = customer(channel)
        platform.say("Hallo")
        platform.say(word)
        return platform

    return make


# Consent -------------------------------------------------------------------------------------


def test_whatsapp_asks_in_every_shipped_language_while_the_language_is_unknown(customer):
    platform = customer("whatsapp")

    platform.say("Hallo")

    assert platform.last_reply() == consent_prompt(language="")
    assert "JA" in platform.last_reply() and "YES" in platform.last_reply()
    assert "/privacy/policy/en/" in platform.last_reply()


def test_telegram_asks_in_the_language_of_the_customers_app(customer):
    platform = customer("telegram")

    platform.say("Hallo")

    assert platform.last_reply() == consent_prompt(language="de")
    assert "YES" not in platform.last_reply()


@pytest.mark.parametrize("channel", CHANNELS)
def test_yes_in_english_continues_in_english(channel, consented):
    platform = consented(channel, word="yes")

    conversation = Conversation.objects.select_related("consent__policy_version").get()
    assert conversation.language == "en"
    assert conversation.consent.policy_version.language == "en"
    assert platform.last_reply().endswith(notice("how_can_i_help", language="en"))


def test_yes_before_the_question_was_asked_only_asks_it(customer):
    platform = customer("messenger")

    platform.say("JA")

    assert platform.last_reply() == consent_prompt(language="")
    assert not ConsentRecord.objects.exists()


@pytest.mark.parametrize("channel", CHANNELS)
def test_no_declines_and_the_customer_is_forgotten(channel, customer):
    platform = customer(channel)
    platform.say("Wo ist mein Paket?")

    platform.say("NEIN")

    assert platform.last_reply() == notice("consent_declined", language="de")
    assert not ChannelIdentity.objects.exists()
    assert not Conversation.objects.exists()
    assert not ConsentRecord.objects.exists()


def test_anything_else_before_consent_asks_again_and_stores_nothing(customer):
    platform = customer("whatsapp")
    platform.say("Hallo")

    platform.say("Meine Bestellnummer ist 12345")

    assert platform.replies() == [consent_prompt(language="")] * 2
    assert not Message.objects.exists()


def test_the_profile_name_is_stored_only_after_consent(customer, settings):
    settings.CHAT_IDENTITY_FIELDS = []
    platform = customer("whatsapp")
    platform.say("Hallo")
    assert ChannelIdentity.objects.get().profile_name == ""

    platform.say("JA")

    identity = ChannelIdentity.objects.get()
    assert identity.profile_name == PROFILE_NAME
    assert identity.phone == f"+{platform.customer}"


def test_no_published_policy_means_no_chat(driver, active_channel, db):
    active_channel("telegram")
    platform = driver("telegram")

    platform.say("Hallo")

    assert platform.last_reply() == notice("no_policy", language="de")


def test_a_new_policy_version_asks_for_consent_again(consented, policies):
    platform = consented("telegram")
    policies["de"].is_active = False
    policies["de"].save()
    from tests.factories import PolicyVersionFactory

    PolicyVersionFactory(language="de", version="2027-01")

    platform.say("Noch eine Frage")
    assert "/privacy/policy/de/" in platform.last_reply()
    platform.say("JA")

    assert Conversation.objects.get().consent.policy_version.version == "2027-01"


# Improving the bot: asked on its own, after consent (Art. 7(4) GDPR) ---------------------------


@pytest.mark.parametrize("channel", CHANNELS)
def test_consent_covers_the_chat_only_and_offers_improving_the_bot_apart(channel, consented):
    platform = consented(channel)

    consent = Conversation.objects.select_related("consent").get().consent
    assert consent.purposes == ["support_chat"]
    assert "VERBESSERN" in platform.last_reply()
    assert learning_refusal(subject_id=None, consent_id=consent.pk) == "no_learning_consent"


@pytest.mark.parametrize(("word", "language"), [("VERBESSERN", "de"), ("improve", "de")])
def test_the_improve_word_adds_bot_improvement_to_the_consent(consented, word, language):
    platform = consented("telegram")

    platform.say(word)
    platform.say(word)  # twice: recorded once

    consent = Conversation.objects.select_related("consent").get().consent
    assert consent.purposes == ["bot_improvement", "support_chat"]
    assert learning_refusal(subject_id=None, consent_id=consent.pk) == ""
    assert AuditEvent.objects.filter(action="consent.purpose_added").count() == 1
    assert platform.last_reply() == notice("improvement_given", language=language)
    assert not Message.objects.exists()  # the answer is no question


def test_the_improve_word_during_identification_asks_the_pending_field_again(consented, settings):
    settings.CHAT_IDENTITY_FIELDS = ["name"]
    platform = consented("telegram")

    platform.say("VERBESSERN")

    assert platform.last_reply() == (
        f"{notice('improvement_given', language='de')} {notice('ask_name', language='de')}"
    )


def test_after_withdrawal_the_improve_word_adds_nothing(consented):
    platform = consented("messenger")
    platform.say("STOP")

    platform.say("VERBESSERN")

    assert ConsentRecord.objects.get().purposes == ["support_chat"]
    assert "/privacy/policy/" in platform.last_reply()


@pytest.mark.parametrize(("word", "language"), [("VERBESSERN AUS", "de"), ("Improve off.", "de")])
def test_the_improve_off_words_withdraw_only_that_purpose_and_the_chat_goes_on(
    consented, word, language
):
    # given: a customer who let the bot learn from the chat
    platform = consented("telegram")
    platform.say("VERBESSERN")
    consent = ConsentRecord.objects.get()

    # when: they take it back (twice: recorded once)
    platform.say(word)
    platform.say(word)

    # then: the chat's consent stands, learning from it stops, and the audit says when
    consent.refresh_from_db()
    assert consent.purposes == ["support_chat"] and consent.withdrawn_at is None
    assert learning_refusal(subject_id=None, consent_id=consent.pk) == "no_learning_consent"
    assert AuditEvent.objects.filter(action="consent.purpose_withdrawn").count() == 1
    assert platform.last_reply() == notice("improvement_withdrawn", language=language)
    platform.say("VERBESSERN")
    consent.refresh_from_db()
    assert consent.purposes == ["bot_improvement", "support_chat"]


def test_the_thanks_for_letting_the_bot_learn_says_how_to_take_it_back(consented):
    platform = consented("telegram")

    platform.say("VERBESSERN")

    assert "VERBESSERN AUS" in platform.last_reply()


# Withdrawal ----------------------------------------------------------------------------------


@pytest.mark.parametrize("word", ["STOP", "stopp", "Stopp!"])
def test_stop_withdraws_consent(word, consented):
    platform = consented("whatsapp")

    platform.say(word)

    consent = Conversation.objects.select_related("consent").get().consent
    assert consent.withdrawn_at is not None
    assert platform.last_reply() == notice("withdrawn", language="de")


def test_after_withdrawal_nothing_is_stored_until_consent_is_given_again(consented):
    platform = consented("messenger")
    platform.say("STOP")

    platform.say("Wo ist mein Paket?")

    assert "/privacy/policy/" in platform.last_reply()
    assert not Message.objects.filter(sender=Message.Sender.CUSTOMER).exists()


# Identification ------------------------------------------------------------------------------


def test_an_invalid_email_is_asked_for_again(customer):
    platform = customer("telegram")
    platform.say("Hallo")
    platform.say("JA")
    platform.say("Erika")

    platform.say("erika at example")

    expected = f"{notice('invalid_email', language='de')} {notice('ask_email', language='de')}"
    assert platform.last_reply() == expected
    assert Conversation.objects.get().subject is None
    platform.say("erika@example.org")
    assert Conversation.objects.get().subject.name == "Erika"


def test_questions_wait_until_the_customer_is_identified(customer):
    platform = customer("telegram")
    platform.say("Hallo")
    platform.say("JA")

    platform.say("Erika")
    platform.say("Wie hoch sind die Versandkosten?")

    assert not Message.objects.exists()
    assert platform.last_reply().startswith(notice("invalid_email", language="de"))


def test_whatsapp_knows_the_phone_number_already(customer, settings):
    settings.CHAT_IDENTITY_FIELDS = ["phone"]
    platform = customer("whatsapp")
    platform.say("Hallo")

    platform.say("JA")

    assert platform.last_reply().endswith(notice("how_can_i_help", language="de"))
    assert Conversation.objects.get().subject.phone == f"+{platform.customer}"


def test_messenger_asks_for_the_phone_number(customer, settings):
    settings.CHAT_IDENTITY_FIELDS = ["phone"]
    platform = customer("messenger")
    platform.say("Hallo")
    platform.say("JA")
    assert platform.last_reply().endswith(notice("ask_phone", language="de"))

    platform.say("hallo")
    assert platform.last_reply().startswith(notice("invalid_phone", language="de"))
    platform.say("+49 40 1234567")

    assert Conversation.objects.get().subject.phone == "+49 40 1234567"


def test_a_typed_email_of_a_known_customer_is_a_claim_until_the_link_proves_it(
    customer, subject, client
):
    import re

    from django.core import mail

    platform = customer("telegram")
    platform.say("Hallo")
    platform.say("JA")
    platform.say("Mallory")

    platform.say(subject.email.upper())

    claim = Conversation.objects.get().subject
    assert claim != subject and not claim.is_verified
    assert DataSubject.objects.get(pk=subject.pk).name == subject.name  # nothing overwritten
    assert ChannelIdentity.objects.get().subject == claim
    # the person proves the address through the e-mailed link: then it is them
    link = re.search(r"http://\S+(/privacy/identity/verify/[^/\s]+/)", mail.outbox[-1].body)
    client.post(link.group(1))
    assert Conversation.objects.get().subject == subject
    assert ChannelIdentity.objects.get().subject == subject


# Questions -----------------------------------------------------------------------------------


@pytest.mark.parametrize("channel", CHANNELS)
def test_a_question_is_stored_and_answered_by_the_bot(channel, consented):
    platform = consented(channel)

    platform.say("Wie hoch sind die Versandkosten?")

    question, answer = Message.objects.order_by("seq")
    assert question.sender == "customer" and question.text == "Wie hoch sind die Versandkosten?"
    assert answer.sender == "bot"
    assert platform.last_reply() == answer.text


def test_a_near_miss_offers_numbered_choices_and_a_number_asks_that(consented):
    platform = consented("telegram")

    platform.say("Kosten Lieferung")

    offer = platform.last_reply()
    choices = ChannelConversation.objects.get().suggestions
    assert choices and f"1. {choices[0]}" in offer
    assert offer.endswith(notice("choose_number", language="de"))
    platform.say("1")
    asked = Message.objects.filter(sender="customer").order_by("-seq").first()
    assert asked.text == choices[0]


@pytest.mark.parametrize(
    ("word", "question", "person"),
    [
        ("JA", "Quantenphysik Schrödinger Katze Experiment", "Mit einer Person sprechen"),
        ("YES", "Quantum physics Schrödinger cat experiment", "Talk to a person"),
    ],
)
def test_an_off_topic_question_gets_numbered_topics_and_a_person(consented, word, question, person):
    platform = consented("telegram", word=word)

    platform.say(question)

    offer = platform.last_reply()
    choices = ChannelConversation.objects.get().suggestions
    language = Conversation.objects.get().language
    assert len(choices) > 1 and choices[-1] == person
    assert choices[:-1] == list(chat.bot_topics(language))
    assert f"{len(choices)}. {person}" in offer
    assert Conversation.objects.get().status == Conversation.Status.BOT
    # The last number reaches a person.
    platform.say(str(len(choices)))
    conversation = Conversation.objects.get()
    assert conversation.status == Conversation.Status.WAITING
    assert conversation.escalation_reason == "customer_request"


def test_a_second_off_topic_question_in_a_row_hands_over(consented):
    platform = consented("whatsapp")
    platform.say("Quantenphysik Schrödinger Katze Experiment")

    platform.say("Wer hat gestern das Fußballspiel gewonnen?")

    conversation = Conversation.objects.get()
    assert conversation.status == Conversation.Status.WAITING
    assert conversation.escalation_reason == "low_confidence"


def test_a_thumbs_down_on_an_answer_hands_over_to_a_person(consented):
    platform = consented("whatsapp")
    platform.say("Wie hoch sind die Versandkosten?")

    platform.say("👎")

    conversation = Conversation.objects.get()
    assert conversation.status == Conversation.Status.WAITING
    assert conversation.escalation_reason == "negative_feedback"
    assert Message.objects.get(sender="bot").helpful is False


def test_a_thumbs_up_is_thanked(consented):
    platform = consented("whatsapp")
    platform.say("Wie hoch sind die Versandkosten?")

    platform.say("👍")

    assert Message.objects.get(sender="bot").helpful is True
    assert platform.last_reply() == notice("feedback_thanks", language="de")


def test_asking_for_a_person_escalates_to_the_inbox(consented):
    platform = consented("messenger")

    platform.say("Ich möchte mit einem Mitarbeiter sprechen")

    conversation = Conversation.objects.get()
    assert conversation.status == Conversation.Status.WAITING
    assert conversation.escalation_reason == "customer_request"


def test_a_too_long_message_is_refused(consented, settings):
    settings.CHAT_MESSAGE_MAX_LENGTH = 20
    platform = consented("telegram")

    platform.say("x" * 21)

    assert platform.last_reply() == notice("too_long", language="de")
    assert not Message.objects.filter(sender="customer").exists()


def test_telegrams_start_command_is_a_greeting(consented):
    platform = consented("telegram")

    platform.say("/start")

    assert platform.last_reply() == notice("how_can_i_help", language="de")
    assert not Message.objects.exists()


def test_after_a_conversation_is_closed_the_next_message_starts_a_new_one(consented):
    platform = consented("telegram")
    platform.say("Wie hoch sind die Versandkosten?")
    Conversation.objects.update(
        status=Conversation.Status.CLOSED,
        resolved_at=timezone.now(),
        closed_at=timezone.now(),
    )

    platform.say("Noch eine Frage")
    assert "/privacy/policy/" in platform.last_reply()
    platform.say("JA")

    assert Conversation.objects.count() == 2


def test_messages_after_escalation_reach_the_agents_watching(consented, monkeypatch):
    pushed = []

    class Layer:
        async def group_send(self, group, message):
            pushed.append((group, message))

    monkeypatch.setattr("event_pipeline.outbox.get_channel_layer", lambda: Layer())
    platform = consented("telegram")
    platform.say("Ich möchte mit einem Mitarbeiter sprechen")

    platform.say("Meine Bestellung 4711 fehlt")

    conversation = Conversation.objects.get()
    group, message = pushed[-1]
    assert group == f"conversation_{conversation.public_id.hex}"
    assert message["type"] == "conversation.message"
    assert message["frame"]["text"] == "Meine Bestellung 4711 fehlt"


@pytest.mark.parametrize(
    ("word", "ask_person", "question", "note"),
    [
        ("JA", "Mitarbeiter", "Wie hoch sind die Versandkosten?", "Eine Person aus unserem Team"),
        ("YES", "agent", "How much is shipping?", "A member of our team"),
    ],
)
def test_while_waiting_for_a_person_the_bot_answers_what_it_is_sure_of(
    consented, word, ask_person, question, note
):
    platform = consented("whatsapp", word=word)
    platform.say(ask_person)

    platform.say(question)

    conversation = Conversation.objects.get()
    assert conversation.status == Conversation.Status.WAITING
    answer = Message.objects.filter(sender="bot").order_by("-seq").first()
    assert answer.intent_slug and platform.replies()[-2] == answer.text
    assert platform.last_reply().startswith(note)


# Non-text ------------------------------------------------------------------------------------


@pytest.mark.parametrize("channel", CHANNELS)
@pytest.mark.parametrize("kind", ["photo", "sticker", "voice", "location"])
def test_non_text_gets_a_polite_reply_and_is_not_stored(channel, kind, consented):
    platform = consented(channel)

    platform.send(kind)

    assert platform.last_reply() == notice("only_text", language="de")
    assert not Message.objects.exists()


def test_non_text_before_consent_also_asks_for_consent(customer):
    platform = customer("telegram")

    platform.send("photo")

    assert platform.replies() == [notice("only_text", language="de"), consent_prompt(language="de")]


def test_non_text_is_answered_in_the_customers_language(consented):
    platform = consented("whatsapp", word="YES")

    platform.send("voice")

    assert platform.last_reply() == notice("only_text", language="en")
