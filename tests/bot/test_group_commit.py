"""The chat's way to the database: messages waiting are stored together, and first."""

import asyncio

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bot import chat, consumers
from bot.answering import ModelAnswerer
from bot.models import Conversation, Message
from privacy.redaction.recogniser import Recogniser
from privacy.services import policy_version_active
from tests.factories import ConversationFactory


@pytest.fixture
def consented(policies, knowledge_base, settings):
    """Conversations in which customers may write (no identity asked, to keep it short)."""
    settings.CHAT_IDENTITY_FIELDS = []

    def make() -> Conversation:
        conversation = ConversationFactory()
        chat.chat_consent_give(
            conversation=conversation,
            policy_version=policy_version_active(language="de").version,
        )
        return Conversation.objects.select_related("consent", "subject").get(pk=conversation.pk)

    return make


def _incoming(conversation, text="Wie hoch sind die Versandkosten?", client_id="c-1"):
    return chat.IncomingMessage(conversation=conversation, client_message_id=client_id, text=text)


def _message_inserts(queries) -> int:
    return sum(
        query["sql"].startswith(f'INSERT INTO "{Message._meta.db_table}"') for query in queries
    )


@pytest.mark.django_db(transaction=True)
def test_many_conversations_are_stored_with_one_insert_and_answered(consented):
    conversations = [consented() for _ in range(5)]

    with CaptureQueriesContext(connection) as queries:
        results = chat.chat_messages_receive([_incoming(c) for c in conversations])

    assert _message_inserts(queries) == 1
    for conversation, (question, outcome) in zip(conversations, results, strict=True):
        assert question.conversation_id == conversation.pk and question.seq == 1
        assert [(m.seq, m.sender) for m in outcome.replies] == [(2, "bot")]
    assert Message.objects.count() == 10


def _seq_updates(queries) -> int:
    table = Conversation._meta.db_table
    return sum(
        f'UPDATE "{table}"' in query["sql"] and "last_seq" in query["sql"] for query in queries
    )


@pytest.mark.django_db(transaction=True)
def test_a_batch_takes_every_conversations_seqs_in_one_statement_on_postgresql(consented):
    if connection.vendor != "postgresql":
        pytest.skip("one round trip a question is what PostgreSQL saves; SQLite has none")
    conversations = [consented() for _ in range(5)]

    with CaptureQueriesContext(connection) as queries:
        chat.chat_messages_receive([_incoming(c) for c in conversations])

    assert _seq_updates(queries) == 1


@pytest.mark.django_db(transaction=True)
def test_a_batch_takes_seqs_from_the_stored_state_of_each_conversation(consented):
    # given: one conversation further on than loaded, one a person took over meanwhile
    further, taken_over, fresh = consented(), consented(), consented()
    Conversation.objects.filter(pk=further.pk).update(last_seq=7)
    Conversation.objects.filter(pk=taken_over.pk).update(
        last_seq=3, status=Conversation.Status.WAITING
    )

    # when
    results = chat.chat_messages_receive(
        [_incoming(further), _incoming(taken_over), _incoming(fresh)]
    )

    # then: the bot's reply only where the bot still has it; seqs after the stored ones
    stored = {
        conversation.pk: list(
            Message.objects.filter(conversation=conversation)
            .order_by("seq")
            .values_list("seq", "sender")
        )
        for conversation in (further, taken_over, fresh)
    }
    assert stored[further.pk] == [(8, "customer"), (9, "bot")]
    assert stored[taken_over.pk] == [(4, "customer")]
    assert stored[fresh.pk] == [(1, "customer"), (2, "bot")]
    assert [question.seq for question, _outcome in results] == [8, 4, 1]
    assert results[1][1].replies == []
    assert (further.last_seq, taken_over.last_seq, fresh.last_seq) == (9, 4, 2)
    assert taken_over.status == Conversation.Status.WAITING
    assert Conversation.objects.get(pk=further.pk).last_seq == 9


@pytest.mark.django_db(transaction=True)
def test_the_questions_of_a_batch_are_redacted_together(consented, monkeypatch):
    read = []
    original = Recogniser.pipe

    def counted(self, texts):
        read.append(len(texts))
        return original(self, texts)

    monkeypatch.setattr(Recogniser, "pipe", counted)
    conversations = [consented() for _ in range(3)]
    texts = [
        "Müller hat gestern angerufen wegen der Rechnung.",
        "Frau Kowalczyk sagte, die Lieferung kommt heute.",
        "Laut Kowalczyk ist das Paket schon unterwegs.",
    ]

    chat.chat_messages_receive(
        [_incoming(c, text=t) for c, t in zip(conversations, texts, strict=True)]
    )

    assert read == [3]
    stored = Message.objects.filter(sender=Message.Sender.CUSTOMER).order_by("conversation_id")
    assert [m.text_redacted for m in stored] == [
        "[NAME] hat gestern angerufen wegen der Rechnung.",
        "Frau [NAME] sagte, die Lieferung kommt heute.",
        "Laut [NAME] ist das Paket schon unterwegs.",
    ]
    assert [m.text for m in stored] == texts


@pytest.mark.django_db(transaction=True)
def test_a_refused_message_costs_the_others_nothing(consented):
    answered = consented()
    without_consent = Conversation.objects.select_related("consent").get(
        pk=ConversationFactory().pk
    )

    refused, (question, outcome) = chat.chat_messages_receive(
        [_incoming(without_consent), _incoming(answered)]
    )

    assert isinstance(refused, chat.ChatError) and refused.code == "consent_required"
    assert question.conversation_id == answered.pk and len(outcome.replies) == 1
    assert not Message.objects.filter(conversation=without_consent).exists()


@pytest.mark.django_db(transaction=True)
def test_a_resend_in_a_batch_is_acknowledged_and_the_others_are_stored(consented):
    resending, other = consented(), consented()
    ((first, _outcome),) = chat.chat_messages_receive([_incoming(resending, client_id="c-1")])

    (again, outcome), (question, other_outcome) = chat.chat_messages_receive(
        [_incoming(resending, client_id="c-1"), _incoming(other, client_id="c-1")]
    )

    assert again.pk == first.pk and outcome.replies == []
    assert question.conversation_id == other.pk and len(other_outcome.replies) == 1
    assert Message.objects.filter(conversation=resending).count() == 2
    assert Conversation.objects.get(pk=resending.pk).last_seq == 2


@pytest.mark.django_db(transaction=True)
def test_a_second_message_of_a_conversation_follows_the_first_ones_escalation(consented):
    conversation = consented()
    # The same conversation open in two tabs: two connections, two loaded copies.
    second_tab = Conversation.objects.select_related("consent").get(pk=conversation.pk)

    (_question, handover), (_later, quiet) = chat.chat_messages_receive(
        [
            _incoming(conversation, "Ich möchte mit einem Mitarbeiter sprechen", "c-1"),
            _incoming(second_tab, "Wie hoch sind die Versandkosten?", "c-2"),
        ]
    )

    assert handover.escalated and quiet.replies == []
    assert list(Message.objects.order_by("seq").values_list("seq", "sender")) == [
        (1, "customer"),
        (2, "system"),
        (3, "customer"),
    ]
    assert Conversation.objects.get(pk=conversation.pk).status == Conversation.Status.WAITING


def _answers_recorded(monkeypatch, calls: list, *, batch_fails: bool = False) -> None:
    """Records how many questions each call of the answerer gets; with `batch_fails`, a
    call with more than one (a batch's classification) raises."""
    original = ModelAnswerer.answers

    def answers(self, questions):
        calls.append([text for text, _language in questions])
        if batch_fails and len(questions) > 1:
            raise RuntimeError("the sentence encoder failed on the batch")
        return original(self, questions)

    monkeypatch.setattr(ModelAnswerer, "answers", answers)


BATCH_QUESTIONS = (
    "Wie hoch sind die Versandkosten?",
    "Kann ich mit PayPal bezahlen?",
    "How can I return an item?",
)


@pytest.mark.django_db(transaction=True)
def test_the_questions_of_a_batch_are_classified_together(consented, monkeypatch):
    calls = []
    _answers_recorded(monkeypatch, calls)
    conversations = [consented() for _ in BATCH_QUESTIONS]

    together = chat.chat_messages_receive(
        [_incoming(c, text=t) for c, t in zip(conversations, BATCH_QUESTIONS, strict=True)]
    )

    assert calls == [list(BATCH_QUESTIONS)]
    # as each would be answered on its own (the single path: a batch of one)
    alone = [consented() for _ in BATCH_QUESTIONS]
    for conversation, text, (_question, outcome) in zip(
        alone, BATCH_QUESTIONS, together, strict=True
    ):
        _message, outcome_alone = chat.chat_message_receive(
            conversation=conversation, client_message_id="c-1", text=text
        )
        assert [(r.text, r.intent_slug, r.confidence) for r in outcome.replies] == [
            (r.text, r.intent_slug, r.confidence) for r in outcome_alone.replies
        ]
        assert outcome.replies and outcome.replies[0].intent_slug
    assert calls[1:] == [[text] for text in BATCH_QUESTIONS]


@pytest.mark.django_db(transaction=True)
def test_a_failing_batch_classification_falls_back_to_one_by_one(consented, monkeypatch):
    calls = []
    _answers_recorded(monkeypatch, calls, batch_fails=True)
    conversations = [consented() for _ in BATCH_QUESTIONS]

    results = chat.chat_messages_receive(
        [_incoming(c, text=t) for c, t in zip(conversations, BATCH_QUESTIONS, strict=True)]
    )

    # the batch failed before anything was stored; each question then went on its own
    assert calls == [list(BATCH_QUESTIONS), *([text] for text in BATCH_QUESTIONS)]
    for conversation, (question, outcome) in zip(conversations, results, strict=True):
        assert question.conversation_id == conversation.pk and question.seq == 1
        assert [(m.seq, m.sender) for m in outcome.replies] == [(2, "bot")]
    assert Message.objects.count() == 2 * len(BATCH_QUESTIONS)


# The batching itself -------------------------------------------------------------------
# No test here stores anything, but each hop runs Django's connection housekeeping in the
# database thread, which a connection left there by an earlier websocket test (same
# process, same thread) would trip over while database access is blocked.
batching_db = pytest.mark.django_db(transaction=True)


def _recording(monkeypatch, batches: list, result=lambda item: ("stored", item)):
    def messages_receive(incoming):
        batches.append(list(incoming))
        return [result(item) for item in incoming]

    monkeypatch.setattr(consumers, "_messages_receive", messages_receive)


@batching_db
async def test_messages_waiting_together_take_one_hop(monkeypatch):
    batches: list = []
    _recording(monkeypatch, batches)
    group = consumers.DatabaseQueue(max_batch=64)

    results = await asyncio.gather(*(group.receive(item) for item in "abc"))

    assert results == [("stored", "a"), ("stored", "b"), ("stored", "c")]
    assert batches == [["a", "b", "c"]]


@batching_db
async def test_a_batch_holds_at_most_the_configured_number(monkeypatch):
    batches: list = []
    _recording(monkeypatch, batches)
    group = consumers.DatabaseQueue(max_batch=2)

    await asyncio.gather(*(group.receive(item) for item in "abc"))
    await group.receive("d")  # idle again: stored at once, on its own

    assert batches == [["a", "b"], ["c"], ["d"]]


@batching_db
async def test_a_refusal_reaches_only_its_own_sender(monkeypatch):
    def result(item):
        return chat.ChatError("refused", code="rate_limited") if item == "b" else ("ok", item)

    _recording(monkeypatch, [], result)
    group = consumers.DatabaseQueue(max_batch=64)

    results = await asyncio.gather(*(group.receive(item) for item in "abc"), return_exceptions=True)

    assert results[0] == ("ok", "a") and results[2] == ("ok", "c")
    assert isinstance(results[1], chat.ChatError) and results[1].code == "rate_limited"


@batching_db
async def test_a_failed_hop_fails_its_batch_and_the_next_message_still_goes_through(monkeypatch):
    calls = []

    def messages_receive(incoming):
        calls.append(incoming)
        if len(calls) == 1:
            raise RuntimeError("database gone")
        return [("ok", item) for item in incoming]

    monkeypatch.setattr(consumers, "_messages_receive", messages_receive)
    group = consumers.DatabaseQueue(max_batch=64)

    failed = await asyncio.gather(group.receive("a"), return_exceptions=True)

    assert isinstance(failed[0], RuntimeError)
    assert await group.receive("b") == ("ok", "b")


@batching_db
async def test_operations_run_in_the_database_thread_and_raise_their_errors(monkeypatch):
    _recording(monkeypatch, [])
    queue = consumers.DatabaseQueue(max_batch=64)

    def fails():
        raise chat.ChatError("no", code="not_resolved")

    assert await queue.run(lambda x: x * 2, x=21) == 42
    with pytest.raises(chat.ChatError):
        await queue.run(fails)


@batching_db
async def test_messages_and_other_operations_share_the_database_time(monkeypatch):
    """A batch of messages, then other operations for 1/messages_weight of its time."""
    order: list = []
    clock = [0.0]

    def messages_receive(incoming):
        order.append(("messages", list(incoming)))
        clock[0] += 0.5 * len(incoming)  # half a millisecond each, stored together
        return [("ok", item) for item in incoming]

    def operation(name):
        order.append(("operation", name))
        clock[0] += 1.0  # set-up work costs more per customer

    monkeypatch.setattr(consumers, "_messages_receive", messages_receive)
    queue = consumers.DatabaseQueue(max_batch=4, messages_weight=1, clock=lambda: clock[0])

    # A wave of new visitors' set-up work beside messages of conversations under way.
    await asyncio.gather(
        *(queue.run(operation, name=f"hello-{n}") for n in range(1, 6)),
        *(queue.receive(item) for item in "abcdef"),
    )

    assert order == [
        ("messages", ["a", "b", "c", "d"]),  # 2 ms
        ("operation", "hello-1"),
        ("operation", "hello-2"),  # 2 ms
        ("messages", ["e", "f"]),  # 1 ms
        ("operation", "hello-3"),  # 1 ms
        # no message waiting: the rest, checking for messages between each
        ("operation", "hello-4"),
        ("operation", "hello-5"),
    ]
