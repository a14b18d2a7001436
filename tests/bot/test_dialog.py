"""The dialog engine is plain Python: tested without a database or a socket."""

import pytest

from bot.answering import KeywordAnswerer, KnowledgeEntry
from bot.dialog import (
    Answer,
    DialogState,
    Escalation,
    customer_asks_for_human,
    dialog_escalate,
    dialog_feedback,
    dialog_greeting,
    dialog_next,
    person_choice,
    reply_is_topics_offer,
)


class FixedAnswerer:
    def __init__(self, answer: Answer | None) -> None:
        self._answer = answer

    def answer(self, question: str, language: str) -> Answer | None:
        return self._answer

    def answers(self, questions) -> list[Answer | None]:
        return [self._answer for _question in questions]


def _state(status="bot", language="de"):
    return DialogState(language=language, status=status)


def test_a_confident_answer_is_given():
    answerer = FixedAnswerer(
        Answer(text="4,95 EUR", confidence=0.9, intent_slug="shipping_costs", band="answer")
    )

    result = dialog_next(state=_state(), question="Versand?", answerer=answerer)

    assert [(r.text, r.sender, r.intent_slug) for r in result.replies] == [
        ("4,95 EUR", "bot", "shipping_costs")
    ]
    assert result.escalate_reason == ""


def test_a_near_miss_offers_suggestions():
    answerer = FixedAnswerer(
        Answer(
            text="…",
            confidence=0.4,
            intent_slug="x",
            suggestions=("Versandkosten", "Lieferzeit"),
            band="suggest",
        )
    )

    result = dialog_next(state=_state(), question="Versand", answerer=answerer)

    assert result.replies[0].text == "Meinten Sie eines davon?"
    assert result.replies[0].suggestions == ("Versandkosten", "Lieferzeit")
    assert result.escalate_reason == ""


UNSURE = [None, Answer(text="…", confidence=0.1, intent_slug="x")]


@pytest.mark.parametrize("answer", UNSURE)
def test_an_unsure_bot_escalates_when_it_knows_no_topics(answer):
    result = dialog_next(
        state=_state(language="en"),
        question="?",
        answerer=FixedAnswerer(answer),
    )

    assert result.escalate_reason == Escalation.LOW_CONFIDENCE
    assert result.replies[0].sender == "system" and "team" in result.replies[0].text


@pytest.mark.parametrize(
    ("language", "question", "opening", "person"),
    [
        (
            "de",
            "Wie wird das Wetter morgen?",
            "Dabei kann ich Ihnen leider nicht helfen.",
            "Mit einer Person sprechen",
        ),
        (
            "en",
            "What is the capital of France?",
            "I am afraid I cannot help with that.",
            "Talk to a person",
        ),
    ],
)
@pytest.mark.parametrize("answer", UNSURE)
def test_an_off_topic_question_gets_the_topics_and_the_way_to_a_person(
    answer, language, question, opening, person
):
    state = DialogState(language=language, status="bot", topics=("Versandkosten", "Rückgabe"))

    result = dialog_next(state=state, question=question, answerer=FixedAnswerer(answer))

    assert result.escalate_reason == ""
    [reply] = result.replies
    assert reply.sender == "bot" and reply.text.startswith(opening)
    assert reply.suggestions == ("Versandkosten", "Rückgabe", person)
    stored = {
        "sender": reply.sender,
        "intent_slug": reply.intent_slug,
        "confidence": reply.confidence,
    }
    assert reply_is_topics_offer(**stored)


@pytest.mark.parametrize("language", ["de", "en"])
def test_choosing_the_person_choice_asks_for_a_person(language):
    state = DialogState(language=language, status="bot", topics=("Versandkosten",))
    answerer = FixedAnswerer(None)

    result = dialog_next(state=state, question=person_choice(language), answerer=answerer)

    assert customer_asks_for_human(person_choice(language))
    assert result.escalate_reason == Escalation.CUSTOMER_REQUEST


def test_a_second_unsure_question_in_a_row_goes_to_a_person():
    state = DialogState(language="de", status="bot", topics=("Versandkosten",))

    result = dialog_next(
        state=state, question="Und sonst?", answerer=FixedAnswerer(None), unsure_before=lambda: True
    )

    assert result.escalate_reason == Escalation.LOW_CONFIDENCE
    assert result.replies[0].sender == "system"


def test_a_confident_answer_is_not_a_topics_offer():
    assert not reply_is_topics_offer(sender="bot", intent_slug="shipping_costs", confidence=0.9)
    assert not reply_is_topics_offer(sender="bot", intent_slug="", confidence=None)


@pytest.mark.parametrize(
    ("language", "note"),
    [("de", "Eine Person aus unserem Team antwortet"), ("en", "A member of our team will still")],
)
def test_while_waiting_for_a_person_the_bot_answers_what_it_is_sure_of(language, note):
    answerer = FixedAnswerer(
        Answer(text="4,95 EUR", confidence=0.9, intent_slug="shipping_costs", band="answer")
    )

    result = dialog_next(
        state=_state("waiting", language=language), question="Versand?", answerer=answerer
    )

    answer, follows = result.replies
    assert (answer.text, answer.sender, answer.intent_slug) == ("4,95 EUR", "bot", "shipping_costs")
    assert follows.sender == "system" and follows.text.startswith(note)
    assert result.escalate_reason == ""


@pytest.mark.parametrize(
    ("question", "answer"),
    [
        (
            "Versand",
            Answer(text="…", confidence=0.4, intent_slug="x", suggestions=("A",), band="suggest"),
        ),
        ("Wetter?", Answer(text="…", confidence=0.1, intent_slug="x")),
        ("Wetter?", None),
        (
            "Ich möchte mit einem Mitarbeiter sprechen",
            Answer(text="…", confidence=1.0, intent_slug="x", band="answer"),
        ),
    ],
)
def test_while_waiting_the_bot_leaves_everything_else_to_the_person(question, answer):
    state = DialogState(language="de", status="waiting", topics=("Versandkosten",))

    result = dialog_next(state=state, question=question, answerer=FixedAnswerer(answer))

    assert result.replies == [] and result.escalate_reason == ""


@pytest.mark.parametrize("status", ["assigned", "resolved"])
def test_the_bot_is_quiet_once_a_person_handles_the_conversation(status):
    answerer = FixedAnswerer(Answer(text="x", confidence=1.0, intent_slug="x", band="answer"))

    result = dialog_next(state=_state(status), question="Hallo?", answerer=answerer)

    assert result.replies == [] and result.escalate_reason == ""


@pytest.mark.parametrize(
    "text",
    ["Mitarbeiter", "Ich möchte mit einem Mitarbeiter sprechen", "human", "Can I talk to a human?"],
)
def test_asking_for_a_person_is_recognised(text):
    assert customer_asks_for_human(text)


@pytest.mark.parametrize(
    "text", ["Ein Mitarbeiter hat mir gestern eine Mail geschickt, wo ist die?", "Versandkosten?"]
)
def test_mentioning_staff_is_not_asking_for_a_person(text):
    assert not customer_asks_for_human(text)


def test_negative_feedback_escalates_and_positive_does_not():
    assert dialog_feedback(state=_state(), helpful=False).escalate_reason == (
        Escalation.NEGATIVE_FEEDBACK
    )
    assert dialog_feedback(state=_state(), helpful=True).replies == []


def test_escalating_twice_does_nothing_the_second_time():
    assert dialog_escalate(state=_state()).escalate_reason == Escalation.CUSTOMER_REQUEST
    assert dialog_escalate(state=_state("waiting")).escalate_reason == ""


@pytest.fixture
def keyword_answerer():
    return KeywordAnswerer(
        [
            KnowledgeEntry(
                intent_slug="shipping_costs",
                language="de",
                title="Versandkosten",
                answer="4,95 EUR",
                examples=("Was kostet der Versand?", "Wie hoch sind die Versandkosten?"),
            ),
            KnowledgeEntry(
                intent_slug="return_how",
                language="de",
                title="Rücksendung",
                answer="Mit dem Retourenschein.",
                examples=("Wie kann ich etwas zurückschicken?", "Rücksendung Ablauf"),
            ),
        ]
    )


def test_the_keyword_answerer_finds_the_matching_intent(keyword_answerer):
    answer = keyword_answerer.answer("wie hoch sind die versandkosten", "de")

    assert answer.intent_slug == "shipping_costs" and answer.confidence == 1.0


def test_the_keyword_answerer_folds_umlauts(keyword_answerer):
    assert keyword_answerer.answer("Ruecksendung Ablauf?", "de").intent_slug == "return_how"


def test_a_clicked_suggestion_title_is_answered_with_full_confidence(keyword_answerer):
    answer = keyword_answerer.answer("Rücksendung", "de")

    assert answer.intent_slug == "return_how" and answer.confidence == 1.0


def test_the_keyword_answerer_has_no_answer_for_unrelated_words(keyword_answerer):
    assert keyword_answerer.answer("Quantenphysik", "de") is None
    assert keyword_answerer.answer("Was kostet der Versand?", "en") is None


@pytest.mark.parametrize(
    ("language", "hello"), [("de", "Hallo! Wie kann ich"), ("en", "Hello! How can I help")]
)
def test_the_greeting_offers_the_topics_the_bot_knows(language, hello):
    state = DialogState(language=language, status="bot", topics=("Versandkosten", "Rückgabe"))

    reply = dialog_greeting(state)

    assert reply.sender == "bot" and reply.text.startswith(hello)
    assert reply.suggestions == ("Versandkosten", "Rückgabe")
