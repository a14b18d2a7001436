"""A teaching outlives its conversation (retention deletes the conversation, a supervisor
decides later): it keeps whose question it was and the consent it was asked under, so an
objection, an erasure and an access request still reach it, and what no supervisor
approved goes with the "teachings" retention instead of staying for ever."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from agents import services
from agents.models import Teaching
from bot.models import Conversation, ExampleQuestion
from privacy.models import DataSubject, LegalHold, RetentionPolicy
from privacy.services import retention_purge, subject_erase, subject_export
from tests.factories import DataSubjectFactory

pytestmark = pytest.mark.django_db

QUESTION = "Kommt das Paket nach Helgoland?"


@pytest.fixture(autouse=True)
def _routed(queue):
    return queue


@pytest.fixture
def person():
    # A surname the gate finds only when it knows it is the customer's.
    return DataSubjectFactory(name="Hans Sommer")


@pytest.fixture
def pending(escalate, agent, person, knowledge_base):
    """An agent (who may not approve) taught from the person's question; then retention
    deleted the conversation, as it does for a resolved one after its period."""
    conversation = escalate(subject=person, texts=[QUESTION])
    teaching = services.teaching_create(
        conversation=conversation, agent=agent, intent_slug="shipping_costs"
    )
    assert teaching.status == Teaching.Status.PENDING
    Conversation.objects.filter(pk=conversation.pk).delete()
    teaching.refresh_from_db()
    assert teaching.conversation_id is None
    return teaching


def test_an_objection_after_the_conversation_is_gone_still_refuses_the_approval(
    pending, person, supervisor
):
    DataSubject.objects.filter(pk=person.pk).update(learning_objected_at=timezone.now())

    with pytest.raises(services.InboxError) as refused:
        services.teaching_approve(teaching=pending, acting_user=supervisor)

    assert refused.value.code == "learning_objected"
    assert not ExampleQuestion.objects.filter(text=QUESTION).exists()


def test_the_example_approved_after_the_conversation_is_gone_stays_the_persons(
    pending, person, supervisor
):
    services.teaching_approve(teaching=pending, acting_user=supervisor)

    example = ExampleQuestion.objects.get(text=QUESTION)
    assert example.subject_id == person.pk and example.consent_id is not None


def test_a_supervisors_edit_after_the_conversation_is_gone_still_hides_the_customers_name(
    pending, supervisor
):
    with pytest.raises(services.InboxError) as refused:
        services.teaching_approve(
            teaching=pending,
            acting_user=supervisor,
            edits={"question": "Sommer fragt nach Helgoland"},
        )

    assert refused.value.code == "personal_data"


def test_erasure_and_the_access_export_reach_it_after_the_conversation_is_gone(
    pending, person, agent
):
    export = subject_export(subject=person, acting_user=agent)
    listed = export["data"]["agents.internal_notes"]["teachings"]
    assert [(row["question"], row["conversation"]) for row in listed] == [(QUESTION, None)]

    counts = subject_erase(subject=person, acting_user=agent, reason="Art. 17 request")

    assert counts["agents.internal_notes"]["teachings"] == 1
    with connection.cursor() as cursor:
        cursor.execute("SELECT question_redacted FROM agents_teaching")
        assert cursor.fetchall() == []


def _taught_days_ago(days: int) -> None:
    Teaching.objects.update(created_at=timezone.now() - timedelta(days=days))


def test_retention_deletes_undecided_and_refused_teachings_and_keeps_approved_ones(
    escalate, agent, supervisor, knowledge_base
):
    days = RetentionPolicy.objects.get(category="teachings").duration_days
    assert days == 90
    taught = {}
    for text in ("Versand nach Sylt?", "Versand nach Rügen?", "Versand nach Föhr?"):
        conversation = escalate(subject=DataSubjectFactory(), texts=[text])
        taught[text] = services.teaching_create(
            conversation=conversation, agent=agent, intent_slug="shipping_costs"
        )
    services.teaching_approve(teaching=taught["Versand nach Sylt?"], acting_user=supervisor)
    services.teaching_reject(teaching=taught["Versand nach Rügen?"], acting_user=supervisor)
    held = DataSubjectFactory()
    conversation = escalate(subject=held, texts=["Versand nach Amrum?"])
    services.teaching_create(conversation=conversation, agent=agent, intent_slug="shipping_costs")
    LegalHold.objects.create(subject=held, reason="Court order")
    _taught_days_ago(days + 1)
    conversation = escalate(subject=DataSubjectFactory(), texts=["Versand nach Pellworm?"])
    services.teaching_create(conversation=conversation, agent=agent, intent_slug="shipping_costs")

    run = retention_purge(batch_size=1)

    assert run.counts["teachings"] == 2  # the refused one and the undecided one, both old
    assert sorted(Teaching.objects.values_list("question_redacted", "status")) == [
        ("Versand nach Amrum?", "pending"),
        ("Versand nach Pellworm?", "pending"),
        ("Versand nach Sylt?", "approved"),
    ]
    assert retention_purge().counts["teachings"] == 0  # a second run: nothing new


def test_the_erasures_compaction_covers_the_teachings_table():
    """On PostgreSQL an erasure's deleted rows leave the disk by a VACUUM of the tables
    that hold personal data: the teachings erasure deletes are among them."""
    from privacy.services.erasure import _tables_with_personal_data

    assert Teaching._meta.db_table in _tables_with_personal_data()
