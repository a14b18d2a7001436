"""The dialog engine: plain Python, the same for every channel.

Given the state of a conversation and one event, `dialog_next` returns the
replies to send and what to do (escalate or not). It reads no database and
sends nothing: the websocket consumer and every messenger adapter drive it
through bot.services, which stores the result.
"""

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from django.utils import formats, translation
from django.utils.translation import gettext as _

from bot.nlu.calibration import Band
from bot.nlu.language import language_detect


@dataclass(frozen=True)
class Answer:
    text: str
    confidence: float
    intent_slug: str
    # Titles of the next-best intents, for "Did you mean …?".
    suggestions: tuple[str, ...] = ()
    # Decided by the answerer, which knows its own calibration.
    band: Band = Band.ESCALATE
    # What answered: "model", "keyword" (no model active) or "fallback" (the active
    # model cannot be used); bot.models.Message.AnswerSource.
    source: str = ""
    # The question was an intent's title: a suggestion chip the customer picked (or its
    # messenger number), not words the classifier weighed.
    clicked: bool = False


class Answerer(Protocol):
    def answer(self, question: str, language: str) -> Answer | None: ...

    def answers(self, questions: Sequence[tuple[str, str]]) -> list[Answer | None]:
        """`answer` for each (question, language), as one batch where that is cheaper."""
        ...


@dataclass(frozen=True)
class DialogState:
    language: str
    status: str
    # When the human team is next available; None: now.
    team_available_at: datetime | None = None
    # Titles of the intents the bot knows best, in the conversation's language: offered
    # when a question is off those topics.
    topics: tuple[str, ...] = ()


@dataclass(frozen=True)
class Reply:
    text: str
    sender: str = "bot"
    intent_slug: str = ""
    confidence: float | None = None
    suggestions: tuple[str, ...] = ()
    answer_source: str = ""


@dataclass(frozen=True)
class SuggestionPick:
    """Which "Did you mean …?" choice the customer took: intent slugs only, our words."""

    # The intent the bot ranked first when it offered the choices.
    offered_first: str
    chosen: str


@dataclass(frozen=True)
class DialogResult:
    replies: list[Reply] = field(default_factory=list)
    escalate_reason: str = ""
    suggestion_pick: SuggestionPick | None = None


class Escalation:
    CUSTOMER_REQUEST = "customer_request"
    LOW_CONFIDENCE = "low_confidence"
    NEGATIVE_FEEDBACK = "negative_feedback"
    CUSTOMER_WROTE_AGAIN = "customer_wrote_again"


# Customers ask for a person in many ways; matched on whole words, case-insensitive.
_HUMAN_REQUEST = re.compile(
    r"\b(mitarbeiter\w*|menschen?|person|berater\w*|kundenservice|agent|human|"
    r"real person|someone|operator|representative)\b",
    re.IGNORECASE,
)
_HUMAN_REQUEST_VERB = re.compile(
    r"\b(sprechen|reden|verbinden|talk|speak|connect|need|want|möchte|will|bitte|please)\b",
    re.IGNORECASE,
)


# "Daten zu meiner Person", "about my person": the customer themself, not a member of staff.
_OWN_PERSON = re.compile(
    r"\b(meiner|meine|meinen|zur|ihrer|seiner|my|your|his|her)\s+person\b", re.IGNORECASE
)


# "Can someone call me back", "jemand per Mail antworten": a follow-up, not a chat with a
# person now; the classifier's follow-up intent (bot.follow_ups) takes it where it knows one.
_FOLLOW_UP_WISH = re.compile(
    r"\b(call(ing)?\s+(me\s+)?back|callback|ring\s+me|phone\s+me|call\s+me|"
    r"\w*rückruf\w*|zurückruf\w*|anrufen|ruft\s+mich|by\s+e-?mail|per\s+e-?mail|per\s+mail)\b",
    re.IGNORECASE,
)


def customer_asks_for_human(text: str) -> bool:
    text = _OWN_PERSON.sub(" ", text)
    if _FOLLOW_UP_WISH.search(text):
        return False
    words = text.split()
    match = _HUMAN_REQUEST.search(text)
    # A bare "Mitarbeiter" or a short request with a verb; not any sentence mentioning staff.
    return bool(match) and (len(words) <= 2 or bool(_HUMAN_REQUEST_VERB.search(text)))


def person_choice(language: str) -> str:
    """The choice that reaches a person, offered beside the topics. Sent back as the
    customer's text (a chip, a messenger's number), it is a request for a person."""
    with translation.override(language):
        return _("Talk to a person")


def reply_is_topics_offer(*, intent_slug: str, confidence: float | None, sender: str) -> bool:
    """Whether a stored reply was the topics offer: a bot reply with a confidence but no
    intent (an answer and a "Did you mean …?" name the intent)."""
    return sender == "bot" and not intent_slug and confidence is not None


def _topics_offer(state: DialogState, answer: Answer | None) -> DialogResult:
    """An off-topic question or small talk: a polite word, the topics the bot knows, and
    the way to a person, instead of handing over at once."""
    with translation.override(state.language):
        text = _(
            "I am afraid I cannot help with that. I can answer questions on these topics, "
            "or put you through to a person:"
        )
    return DialogResult(
        replies=[
            Reply(
                text=text,
                confidence=answer.confidence if answer is not None else 0.0,
                suggestions=(*state.topics, person_choice(state.language)),
                answer_source=answer.source if answer is not None else "",
            )
        ]
    )


def waiting_notice(state: DialogState) -> str:
    """The line under the chat while the customer waits for a person: the same promise
    as the hand-over message (now, or when the team is back), never "shortly" while
    the team is away."""
    with translation.override(state.language):
        if state.team_available_at is None:
            return _("A member of our team will answer here shortly.")
        return _("Our team is back %(when)s and will answer here.") % {
            "when": formats.date_format(state.team_available_at, "l, H:i")
        }


def _handover(state: DialogState, reason: str) -> DialogResult:
    with translation.override(state.language):
        if state.team_available_at is None:
            text = _(
                "I am handing you over to a member of our team. They will see this "
                "conversation and answer here."
            )
        else:
            text = _(
                "Our team is not available right now; they will be back %(when)s and answer "
                "here. You can close this window: the conversation is kept."
            ) % {"when": formats.date_format(state.team_available_at, "l, H:i")}
    return DialogResult(replies=[Reply(text=text, sender="system")], escalate_reason=reason)


@dataclass(frozen=True)
class DialogQuestion:
    """A customer's question and what `dialog_next` needs to know besides (its arguments)."""

    state: DialogState
    question: str
    unsure_before: Callable[[], bool] = lambda: False
    suggested_before: Callable[[], str] = lambda: ""


def dialog_next(
    *,
    state: DialogState,
    question: str,
    answerer: Answerer,
    unsure_before: Callable[[], bool] = lambda: False,
    suggested_before: Callable[[], str] = lambda: "",
) -> DialogResult:
    """React to a customer's message that has already been stored.

    A question the bot cannot place gets the topics it knows and the way to a person; a
    second one right after that (`unsure_before`: the bot's last reply was that offer,
    asked only then) goes to a person, as does every question when no topic is known.
    A picked "Did you mean …?" chip (`suggested_before`: the intent the bot's last reply
    ranked first, "" if it offered none; asked only for a picked title) is reported in
    `suggestion_pick`, so the choice can be recorded.
    """
    return dialog_questions_next(
        [DialogQuestion(state, question, unsure_before, suggested_before)], answerer=answerer
    )[0]


def dialog_questions_next(
    questions: Sequence[DialogQuestion], *, answerer: Answerer
) -> list[DialogResult]:
    """`dialog_next` for many customers' questions at once (a group commit's): the
    answerer classifies those it is asked about as one batch (`Answerer.answers`)."""
    # The answerer is not asked where a person has the conversation or is asked for.
    asked = [
        question.state.status in ("bot", "waiting")
        and not customer_asks_for_human(question.question)
        for question in questions
    ]
    answers = iter(
        answerer.answers(
            [
                # The customer may write in another language than the page's: answer in theirs.
                (
                    question.question,
                    language_detect(question.question, fallback=question.state.language),
                )
                for question, ask in zip(questions, asked, strict=True)
                if ask
            ]
        )
    )
    return [
        _reaction(question, ask, next(answers) if ask else None)
        for question, ask in zip(questions, asked, strict=True)
    ]


def _reaction(question: DialogQuestion, asked: bool, answer: Answer | None) -> DialogResult:
    """The dialog's reaction to a question: `asked` whether the answerer was, and its
    `answer` (None: it had none, or was not asked)."""
    state = question.state
    if state.status == "waiting":
        return _answer_while_waiting(state, answer)
    if state.status != "bot":
        # A person has taken over: the bot stays quiet.
        return DialogResult()
    if not asked:  # the customer asks for a person
        return _handover(state, Escalation.CUSTOMER_REQUEST)
    if answer is not None and answer.band == Band.ANSWER:
        offered_first = question.suggested_before() if answer.clicked else ""
        return DialogResult(
            replies=[
                Reply(
                    text=answer.text,
                    intent_slug=answer.intent_slug,
                    confidence=answer.confidence,
                    answer_source=answer.source,
                )
            ],
            suggestion_pick=(
                SuggestionPick(offered_first=offered_first, chosen=answer.intent_slug)
                if offered_first
                else None
            ),
        )
    if answer is not None and answer.band == Band.SUGGEST and answer.suggestions:
        with translation.override(state.language):
            text = _("Did you mean one of these?")
        return DialogResult(
            replies=[
                Reply(
                    text=text,
                    intent_slug=answer.intent_slug,
                    confidence=answer.confidence,
                    suggestions=answer.suggestions,
                    answer_source=answer.source,
                )
            ]
        )
    if state.topics and not question.unsure_before():
        return _topics_offer(state, answer)
    return _handover(state, Escalation.LOW_CONFIDENCE)


def _answer_while_waiting(state: DialogState, answer: Answer | None) -> DialogResult:
    """Handed over but nobody has claimed it yet (outside hours, that is days): the bot
    still answers what it is sure of, and says the person still follows. Anything else
    (a request for a person too: `answer` is None then) waits for the person, quietly:
    they see the question."""
    if answer is None or answer.band != Band.ANSWER:
        return DialogResult()
    with translation.override(state.language):
        note = _("A member of our team will still answer you here.")
    return DialogResult(
        replies=[
            Reply(
                text=answer.text,
                intent_slug=answer.intent_slug,
                confidence=answer.confidence,
                answer_source=answer.source,
            ),
            Reply(text=note, sender="system"),
        ]
    )


def dialog_greeting(state: DialogState) -> Reply:
    """The bot's first words once the customer may write (consent given, identified):
    what it can help with. Our words only: never the customer's name (bot texts are
    stored unredacted)."""
    with translation.override(state.language):
        text = _("Hello! How can I help you? Write your question, or choose a topic:")
    return Reply(text=text, suggestions=state.topics)


def dialog_feedback(*, state: DialogState, helpful: bool) -> DialogResult:
    """Negative feedback on a bot answer hands the customer to a person."""
    if helpful or state.status != "bot":
        return DialogResult()
    return _handover(state, Escalation.NEGATIVE_FEEDBACK)


def dialog_escalate(*, state: DialogState) -> DialogResult:
    if state.status != "bot":
        return DialogResult()
    return _handover(state, Escalation.CUSTOMER_REQUEST)
