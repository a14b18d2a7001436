"""Set-up steps (hello, consent, identification) waiting together: one hop, one commit."""

import asyncio
import functools

import pytest
from django.db import DatabaseError, connection, transaction

from bot import chat, consumers, conversation_setup
from bot.models import Conversation
from privacy import tasks
from privacy.models import ConsentRecord, DataSubject
from privacy.services import ConsentError, policy_version_active
from tests.factories import ConversationFactory


def _loaded() -> Conversation:
    """A new conversation as the consumer holds it (with its consent and subject)."""
    return Conversation.objects.select_related("consent", "subject").get(
        pk=ConversationFactory().pk
    )


def _consent_step(conversation: Conversation, version: str | None = None) -> functools.partial:
    """The consumer's consent step, as the queue hands it to the database thread."""
    return functools.partial(
        consumers._then_state_and_greeting,
        verb=conversation_setup.consent_give,
        conversation=conversation,
        policy_version=version or policy_version_active(language="de").version,
        ip_address=None,
    )


@pytest.fixture
def commits(monkeypatch) -> list[int]:
    """Counts the transactions committed on the database thread's connection."""
    counted: list[int] = []
    commit = connection.commit

    def counting():
        counted.append(1)
        return commit()

    monkeypatch.setattr(connection, "commit", counting)
    return counted


@pytest.mark.django_db(transaction=True)
def test_set_up_steps_waiting_together_are_committed_once(policies, settings, commits):
    settings.CHAT_IDENTITY_FIELDS = []
    conversations = [_loaded() for _ in range(3)]
    hello = functools.partial(consumers._conversation_open, token=None, language="de", after_seq=0)

    outcomes = consumers._set_up_steps_run([hello, *map(_consent_step, conversations)])

    assert len(commits) == 1
    assert all(succeeded for succeeded, _result in outcomes)
    opened, _token, resumed, _history, _state = outcomes[0][1]
    assert Conversation.objects.filter(pk=opened.pk).exists() and not resumed
    for conversation, (_ok, (returned, state, greeting)) in zip(
        conversations, outcomes[1:], strict=True
    ):
        stored = ConsentRecord.objects.get(reference=conversation.public_id)
        assert returned is conversation and conversation.consent_id == stored.pk
        assert state["consent"]["required"] is False and greeting is not None


@pytest.mark.django_db(transaction=True)
def test_a_refused_set_up_step_reaches_only_its_sender(policies, settings, commits):
    settings.CHAT_IDENTITY_FIELDS = ["name", "email"]
    consenting, identifying = _loaded(), _loaded()
    identify_early = functools.partial(
        consumers._then_state_and_greeting,
        verb=chat.chat_identify,
        conversation=identifying,
        identity={"name": "Erika", "email": "erika@example.org"},
    )

    (given, _), (refused, error), (outdated, consent_error) = consumers._set_up_steps_run(
        [_consent_step(consenting), identify_early, _consent_step(identifying, "0.0-old")]
    )

    assert given and not refused and not outdated
    assert isinstance(error, chat.ChatError) and error.code == "consent_required"
    assert isinstance(consent_error, ConsentError) and consent_error.code == "policy_outdated"
    assert len(commits) == 1  # the refusals undid nothing of the others
    assert list(ConsentRecord.objects.values_list("reference", flat=True)) == [consenting.public_id]
    assert identifying.consent_id is None and identifying.subject_id is None


@pytest.mark.django_db(transaction=True)
def test_a_failed_batch_is_undone_and_each_step_runs_alone(policies, settings):
    settings.CHAT_IDENTITY_FIELDS = []
    first, second = _loaded(), _loaded()
    attempts = []

    def breaks_once(**kwargs):
        attempts.append(1)
        if len(attempts) == 1:
            raise DatabaseError("connection lost")
        return "ran alone"

    outcomes = consumers._set_up_steps_run(
        [_consent_step(first), functools.partial(breaks_once), _consent_step(second)]
    )

    assert [succeeded for succeeded, _result in outcomes] == [True, True, True]
    assert outcomes[1][1] == "ran alone"
    for conversation in (first, second):
        # Stored once: the batch's record was undone, the one of its own run kept.
        stored = ConsentRecord.objects.get(reference=conversation.public_id)
        assert conversation.consent_id == stored.pk
        assert Conversation.objects.get(pk=conversation.pk).consent_id == stored.pk


@pytest.mark.django_db(transaction=True)
def test_an_undone_step_leaves_no_consent_in_memory(policies, settings):
    """A step stored in the batch, undone with it, then refused on its own: the
    consumer's conversation must not keep the consent that was rolled back."""
    settings.CHAT_IDENTITY_FIELDS = []
    conversation = _loaded()
    version = policy_version_active(language="de").version
    calls = []

    def consent_then_outdated(**kwargs):
        calls.append(1)
        if len(calls) > 1:
            raise ConsentError("outdated", code="policy_outdated")
        return _consent_step(conversation, version)()

    def breaks(**kwargs):
        raise DatabaseError("connection lost")

    (stored, refusal), (broken, _error) = consumers._set_up_steps_run(
        [
            functools.partial(consent_then_outdated, conversation=conversation),
            functools.partial(breaks),
        ]
    )

    assert not stored and isinstance(refusal, ConsentError) and not broken
    assert not ConsentRecord.objects.exists()
    assert conversation.consent_id is None and conversation.consent is None
    assert not chat.conversation_consent_current(conversation)


# The verification mails of a batch: one task message, after its commit -------------------


def _identify_step(conversation: Conversation, email: str) -> functools.partial:
    return functools.partial(
        consumers._then_state_and_greeting,
        verb=chat.chat_identify,
        conversation=conversation,
        identity={"name": "Erika Muster", "email": email},
    )


def _consented() -> Conversation:
    conversation = _loaded()
    _consent_step(conversation)()
    return conversation


@pytest.fixture
def published(monkeypatch) -> list[tuple[list, bool]]:
    """Each verification task message sent: (its requests, sent inside a transaction)."""
    sent: list[tuple[list, bool]] = []

    def delay(requests):
        sent.append((requests, connection.in_atomic_block))

    monkeypatch.setattr(tasks.subject_verifications_send_task, "delay", delay)
    return sent


@pytest.mark.django_db(transaction=True)
def test_a_batch_of_identifications_publishes_one_message_after_its_commit(
    policies, settings, published
):
    settings.CHAT_IDENTITY_FIELDS = ["name", "email"]
    conversations = [_consented() for _ in range(3)]
    waiting = _loaded()  # no consent: refused inside the batch, no mail

    outcomes = consumers._set_up_steps_run(
        [
            *(_identify_step(c, f"kunde{n}@example.org") for n, c in enumerate(conversations)),
            _identify_step(waiting, "wartend@example.org"),
        ]
    )

    assert [succeeded for succeeded, _result in outcomes] == [True, True, True, False]
    assert len(published) == 1
    requests, inside_transaction = published[0]
    assert not inside_transaction
    # Ids and language codes only, one per subject stored, none for the refused step.
    assert requests == [[c.subject_id, "de"] for c in conversations]
    assert DataSubject.objects.count() == 3


@pytest.mark.django_db(transaction=True)
def test_an_undone_batch_publishes_each_mail_once_from_the_steps_run_alone(
    policies, settings, published
):
    settings.CHAT_IDENTITY_FIELDS = ["name", "email"]
    first, second = _consented(), _consented()

    def breaks(**kwargs):
        raise DatabaseError("connection lost")

    outcomes = consumers._set_up_steps_run(
        [
            _identify_step(first, "erste@example.org"),
            functools.partial(breaks),
            _identify_step(second, "zweite@example.org"),
        ]
    )

    assert [succeeded for succeeded, _result in outcomes] == [True, False, True]
    # The batch's subjects were rolled back with it: only those of the runs alone count.
    stored = list(DataSubject.objects.order_by("pk").values_list("pk", flat=True))
    assert stored == [first.subject_id, second.subject_id]
    assert published == [([[first.subject_id, "de"], [second.subject_id, "de"]], False)]


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_identification_queues_no_mail(policies, settings, published):
    settings.CHAT_IDENTITY_FIELDS = ["name", "email"]
    conversation = _consented()

    with pytest.raises(DatabaseError), transaction.atomic():
        chat.chat_identify(
            conversation=conversation,
            identity={"name": "Erika Muster", "email": "erika@example.org"},
        )
        raise DatabaseError("connection lost")

    assert published == [] and not DataSubject.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_an_identification_outside_a_batch_publishes_its_own_message(policies, settings, published):
    """The messengers identify one customer in a transaction of their own."""
    settings.CHAT_IDENTITY_FIELDS = ["name", "email"]
    conversation = _consented()

    chat.chat_identify(
        conversation=conversation, identity={"name": "Erika Muster", "email": "erika@example.org"}
    )

    assert published == [([[conversation.subject_id, "de"]], False)]


@pytest.mark.django_db(transaction=True)
def test_a_broker_failure_after_the_commit_leaves_the_steps_stored(
    policies, settings, monkeypatch, caplog
):
    settings.CHAT_IDENTITY_FIELDS = ["name", "email"]
    first, second = _consented(), _consented()

    def broker_down(requests):
        raise OSError("connection refused")

    monkeypatch.setattr(tasks.subject_verifications_send_task, "delay", broker_down)

    outcomes = consumers._set_up_steps_run(
        [_identify_step(first, "erste@example.org"), _identify_step(second, "zweite@example.org")]
    )

    assert [succeeded for succeeded, _result in outcomes] == [True, True]
    assert DataSubject.objects.count() == 2
    assert f"[{first.subject_id}, {second.subject_id}]" in caplog.text


# The queue's side: which operations share a hop ------------------------------------------
batching_db = pytest.mark.django_db(transaction=True)


@batching_db
async def test_set_up_steps_next_to_each_other_share_a_hop_in_arrival_order(monkeypatch):
    hops: list = []

    def set_up_steps_run(steps):
        hops.append([step() for step in steps])
        return [(True, name) for name in hops[-1]]

    monkeypatch.setattr(consumers, "_set_up_steps_run", set_up_steps_run)
    queue = consumers.DatabaseQueue(max_batch=2)

    def step(name):
        return name

    def other(name):
        hops.append([name])
        return name

    results = await asyncio.gather(
        queue.set_up(step, name="hello-1"),
        queue.set_up(step, name="consent-2"),
        queue.set_up(step, name="identify-3"),
        queue.run(other, name="feedback"),
        queue.set_up(step, name="hello-4"),
    )

    assert results == ["hello-1", "consent-2", "identify-3", "feedback", "hello-4"]
    assert hops == [["hello-1", "consent-2"], ["identify-3"], ["feedback"], ["hello-4"]]


@batching_db
async def test_a_refused_set_up_step_raises_in_its_caller_only(monkeypatch):
    def set_up_steps_run(steps):
        return [
            (False, chat.ChatError("no", code="consent_required")) if n == 1 else (True, n)
            for n in range(len(steps))
        ]

    monkeypatch.setattr(consumers, "_set_up_steps_run", set_up_steps_run)
    queue = consumers.DatabaseQueue(max_batch=64)

    results = await asyncio.gather(
        *(queue.set_up(lambda: None) for _ in range(3)), return_exceptions=True
    )

    assert results[0] == 0 and results[2] == 2
    assert isinstance(results[1], chat.ChatError)


@batching_db
async def test_set_up_batches_take_what_the_messages_share_leaves(monkeypatch):
    """While messages wait, a set-up batch holds as many steps as fit the time left of
    their share (one at first, to learn a step's time); with none waiting, max_batch."""
    order: list = []
    clock = [0.0]

    def messages_receive(incoming):
        order.append(("messages", list(incoming)))
        clock[0] += 0.5 * len(incoming)
        return [("ok", item) for item in incoming]

    def set_up_steps_run(steps):
        order.append(("set-up", [step() for step in steps]))
        clock[0] += 1.0 * len(steps)
        return [(True, None) for _step in steps]

    monkeypatch.setattr(consumers, "_messages_receive", messages_receive)
    monkeypatch.setattr(consumers, "_set_up_steps_run", set_up_steps_run)
    queue = consumers.DatabaseQueue(max_batch=4, messages_weight=1, clock=lambda: clock[0])

    await asyncio.gather(
        *(queue.set_up(lambda n=n: f"s{n}") for n in range(1, 7)),
        *(queue.receive(item) for item in "abcdef"),
    )

    assert order == [
        ("messages", ["a", "b", "c", "d"]),  # 2 ms: a share of 2 ms
        ("set-up", ["s1"]),  # 1 ms a step, learnt
        ("set-up", ["s2"]),  # 1 ms left: one more
        ("messages", ["e", "f"]),
        ("set-up", ["s3", "s4", "s5", "s6"]),  # no message waiting
    ]
