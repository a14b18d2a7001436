"""Learning from "Did you mean …?" choices: the question a choice answered is kept redacted
(bot.models.ChoiceExample, never for a person who objected or did not consent), becomes
a candidate once enough choices agree (and none disagrees, and it is no duplicate), is
shown to supervisors on the teachings page, and once approved trains the next model;
an objection afterwards takes it out again; erasure deletes it."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from bot.dialog import SuggestionPick
from bot.learning import training_examples, training_fingerprint
from bot.models import ChoiceExample, ExampleQuestion, Intent, SuggestionChoice
from bot.selectors import choice_example_candidates
from bot.services import choice_example_decide, message_append, suggestion_choice_record
from privacy.models import (
    AuditEvent,
    ConsentRecord,
    DataSubject,
    LegalHold,
    ProcessingActivity,
    RetentionPolicy,
)
from privacy.services import retention_purge, subject_erase, subject_export
from staff import roles
from tests.factories import (
    AgentFactory,
    ConsentRecordFactory,
    ConversationFactory,
    DataSubjectFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

QUESTION = "Kosten Lieferung nach Österreich?"


def choose(
    question: str = QUESTION,
    *,
    chosen: str = "shipping_costs",
    subject: DataSubject | None = None,
    purposes=(ConsentRecord.Purpose.BOT_IMPROVEMENT, ConsentRecord.Purpose.SUPPORT_CHAT),
) -> None:
    """A customer asks, is offered choices, and picks `chosen` (as bot.chat records it)."""
    subject = subject or DataSubjectFactory()
    conversation = ConversationFactory(
        subject=subject, consent=ConsentRecordFactory(subject=subject, purposes=list(purposes))
    )
    message_append(conversation=conversation, sender="customer", text=question)
    message_append(conversation=conversation, sender="bot", text="Meinten Sie …?")
    message_append(conversation=conversation, sender="customer", text="Versandkosten")
    suggestion_choice_record(
        conversation=conversation, pick=SuggestionPick(offered_first="order_status", chosen=chosen)
    )


def test_the_question_a_choice_answered_is_kept_redacted_with_the_chosen_intent(knowledge_base):
    subject = DataSubjectFactory(name="Erika Mustermann")

    choose("Hallo, hier Erika Mustermann, erika@example.org: Kosten Lieferung?", subject=subject)

    example = ChoiceExample.objects.get()
    assert example.intent.slug == "shipping_costs" and example.language == "de"
    assert "Erika" not in example.text and "Mustermann" not in example.text
    assert "erika@example.org" not in example.text and "Kosten Lieferung?" in example.text
    assert (example.subject_id, example.decision) == (subject.pk, "")
    # the anonymous count is recorded as before, still linked to nobody
    assert SuggestionChoice.objects.get().intent_chosen == "shipping_costs"


@pytest.mark.parametrize("objected", [True, False])
def test_nothing_is_kept_from_a_person_who_objected_or_did_not_consent(knowledge_base, objected):
    subject = DataSubjectFactory(learning_objected_at=timezone.now() if objected else None)

    choose(
        subject=subject,
        purposes=[ConsentRecord.Purpose.SUPPORT_CHAT]
        if not objected
        else [ConsentRecord.Purpose.BOT_IMPROVEMENT, ConsentRecord.Purpose.SUPPORT_CHAT],
    )

    assert not ChoiceExample.objects.exists()
    assert SuggestionChoice.objects.count() == 1  # the anonymous count still is


def test_a_question_is_a_candidate_only_after_enough_consistent_choices(knowledge_base, settings):
    settings.BOT_CHOICE_EXAMPLE_MIN_CHOICES = 3
    choose()
    choose("kosten lieferung nach österreich")  # the same question, written differently
    assert choice_example_candidates() == []

    choose()

    (candidate,) = choice_example_candidates()
    assert (candidate.intent_slug, candidate.language, candidate.choices) == (
        "shipping_costs",
        "de",
        3,
    )
    assert candidate.text == QUESTION and candidate.decision == ""

    # one customer who chose another intent for it: not consistent, no candidate
    choose(chosen="order_status")
    assert choice_example_candidates() == []


def test_an_objection_takes_a_persons_choices_out_at_once(knowledge_base, settings):
    settings.BOT_CHOICE_EXAMPLE_MIN_CHOICES = 2
    people = [DataSubjectFactory(), DataSubjectFactory()]
    for person in people:
        choose(subject=person)
    assert len(choice_example_candidates()) == 1

    DataSubject.objects.filter(pk=people[0].pk).update(learning_objected_at=timezone.now())

    assert choice_example_candidates() == []


def test_a_question_the_intent_has_as_example_already_is_no_candidate(knowledge_base, settings):
    settings.BOT_CHOICE_EXAMPLE_MIN_CHOICES = 1
    ExampleQuestion.objects.create(
        intent=Intent.objects.get(slug="shipping_costs"), language="de", text=QUESTION.lower()
    )

    choose()

    assert choice_example_candidates() == []


def test_an_approved_question_trains_the_next_model_until_someone_objects(knowledge_base, settings):
    settings.BOT_CHOICE_EXAMPLE_MIN_CHOICES = 2
    people = [DataSubjectFactory(), DataSubjectFactory()]
    for person in people:
        choose(subject=person)
    before = training_examples(language="de")
    assert (QUESTION, "shipping_costs") not in before  # pending: not learnt yet
    supervisor = UserFactory(role=roles.SUPERVISOR)

    decided = choice_example_decide(
        example=ChoiceExample.objects.first(), approve=True, acting_user=supervisor
    )

    assert decided == 2
    after = training_examples(language="de")
    assert after == [*before, (QUESTION, "shipping_costs")]
    assert training_fingerprint(after) != training_fingerprint(before)
    event = AuditEvent.objects.get(action="bot.choice_example.approved")
    assert event.details == {"intent": "shipping_costs", "language": "de", "rows": 2}
    assert QUESTION not in repr(event.details)

    # a later objection: below the threshold again, so the next model leaves it out
    DataSubject.objects.filter(pk=people[1].pk).update(learning_objected_at=timezone.now())
    assert training_examples(language="de") == before


def test_a_refused_question_is_never_learnt(knowledge_base, settings):
    settings.BOT_CHOICE_EXAMPLE_MIN_CHOICES = 1
    choose()
    choice_example_decide(
        example=ChoiceExample.objects.get(),
        approve=False,
        acting_user=UserFactory(role=roles.SUPERVISOR),
    )
    choose()  # chosen again after the refusal: still refused, and not kept again

    assert choice_example_candidates() == []
    assert (QUESTION, "shipping_costs") not in training_examples(language="de")
    assert not ChoiceExample.objects.exclude(decision="refused").exists()


def test_a_refusal_keeps_neither_the_words_nor_the_people(knowledge_base, settings, agent):
    """The refused rows linked the question to whoever asked it, for ever (retention only
    takes undecided ones): a refusal leaves one marker, a keyed digest of the question
    without a person, and the refusal still holds when the question is chosen again."""
    settings.BOT_CHOICE_EXAMPLE_MIN_CHOICES = 2
    people = [DataSubjectFactory(), DataSubjectFactory()]
    for person in people:
        choose(subject=person)
    (candidate,) = choice_example_candidates()

    choice_example_decide(
        example=ChoiceExample.objects.get(pk=candidate.example_id),
        approve=False,
        acting_user=UserFactory(role=roles.SUPERVISOR),
    )

    with connection.cursor() as cursor:
        cursor.execute("SELECT text, subject_id, consent_id, decision FROM bot_choiceexample")
        rows = cursor.fetchall()
    assert len(rows) == 1
    text, subject_id, consent_id, decision = rows[0]
    assert (subject_id, consent_id, decision) == (None, None, "refused")
    assert "sterreich" not in text.lower() and "lieferung" not in text.lower()
    export = subject_export(subject=people[0], acting_user=agent)
    assert export["data"]["bot.conversations"]["learnt_questions"] == []
    # chosen again, by two more people, written differently: nothing kept, no candidate
    choose("kosten lieferung nach österreich")
    choose()
    assert ChoiceExample.objects.count() == 1
    assert choice_example_candidates() == []


def test_supervisors_see_and_decide_the_candidates_where_teachings_are(knowledge_base, settings):
    settings.BOT_CHOICE_EXAMPLE_MIN_CHOICES = 1
    choose()
    example = ChoiceExample.objects.get()
    supervisor, agent = UserFactory(role=roles.SUPERVISOR), AgentFactory()
    client, agents_client = Client(), Client()
    client.force_login(supervisor)
    agents_client.force_login(agent)

    page = client.get("/inbox/teachings/").text
    assert QUESTION in page and "shipping_costs" in page
    assert f"/inbox/teachings/choices/{example.pk}/approve/" in page
    assert agents_client.post(f"/inbox/teachings/choices/{example.pk}/approve/").status_code == 403

    response = client.post(f"/inbox/teachings/choices/{example.pk}/approve/")

    assert response.status_code == 302
    assert ChoiceExample.objects.get().decision == "approved"
    assert QUESTION not in client.get("/inbox/teachings/").text  # decided: off the list


def test_the_access_export_lists_the_questions_the_bot_learns_from(knowledge_base, agent):
    subject = DataSubjectFactory()
    choose(subject=subject)
    choose()  # someone else's
    ExampleQuestion.objects.create(
        intent=Intent.objects.get(slug="shipping_costs"),
        language="de",
        text="Was kostet der Versand nach Liechtenstein?",
        subject=subject,
    )

    export = subject_export(subject=subject, acting_user=agent)

    learnt = export["data"]["bot.conversations"]["learnt_questions"]
    assert sorted((row["question"], row["learnt_from"]) for row in learnt) == [
        (QUESTION, "chosen"),
        ("Was kostet der Versand nach Liechtenstein?", "taught"),
    ]
    assert {row["intent"] for row in learnt} == {"shipping_costs"}


def test_erasing_the_person_deletes_their_choices_questions(knowledge_base, agent):
    subject = DataSubjectFactory()
    choose(subject=subject)
    choose()

    counts = subject_erase(subject=subject, acting_user=agent, reason="Art. 17 request")

    assert counts["bot.conversations"]["choice_examples"] == 1
    assert ChoiceExample.objects.count() == 1
    assert SuggestionChoice.objects.count() == 2  # linked to nobody: only counts


def test_the_next_training_run_learns_an_approved_question_through_the_quality_gate(settings):
    from bot.knowledge_base import intent_save
    from bot.learning import bot_model_train
    from tests.bot.test_learning import QUESTIONS

    for slug, questions in QUESTIONS.items():
        intent_save(
            slug=slug,
            titles={"de": slug.replace("_", " ").title()},
            answers={"de": f"Antwort zu {slug}."},
            examples={"de": questions},
        )
    settings.BOT_CHOICE_EXAMPLE_MIN_CHOICES = 1
    first = bot_model_train(language="de")
    choose()
    assert bot_model_train(language="de") is None  # pending: nothing new to learn
    choice_example_decide(
        example=ChoiceExample.objects.get(),
        approve=True,
        acting_user=UserFactory(role=roles.SUPERVISOR),
    )

    second = bot_model_train(language="de")

    assert second is not None and second.examples_count == first.examples_count + 1
    # judged by the same gate as any new model: active only if not worse than the first
    assert second.status in ("active", "rejected")
    assert second.metrics["in_scope_accuracy"] is not None


def test_with_teachings_approved_automatically_only_a_refusal_keeps_a_question_out(
    knowledge_base, settings
):
    settings.BOT_CHOICE_EXAMPLE_MIN_CHOICES = 1
    settings.AGENTS_TEACHING_AUTO_APPROVE = True
    choose()

    assert (QUESTION, "shipping_costs") in training_examples(language="de")

    choice_example_decide(
        example=ChoiceExample.objects.get(),
        approve=False,
        acting_user=UserFactory(role=roles.SUPERVISOR),
    )
    assert (QUESTION, "shipping_costs") not in training_examples(language="de")


def _chosen_days_ago(days: int, **filters) -> None:
    ChoiceExample.objects.filter(**filters).update(created_at=timezone.now() - timedelta(days=days))


def test_retention_deletes_undecided_questions_and_keeps_decided_ones(knowledge_base, settings):
    """A question that never gathers enough choices is not kept for ever; what a
    supervisor decided stays, as taught examples do (bot.services.choice_examples_purge)."""
    settings.BOT_CHOICE_EXAMPLE_MIN_CHOICES = 2
    supervisor = UserFactory(role=roles.SUPERVISOR)
    days = RetentionPolicy.objects.get(category="choice_examples").duration_days
    assert days == 90
    for _person in range(2):
        choose("Versand nach Wien?")
    choice_example_decide(
        example=ChoiceExample.objects.first(), approve=True, acting_user=supervisor
    )
    choose("Versand nach Wien?")  # chosen again after the approval: it trains the bot
    choose("Rechnung als PDF?", chosen="order_status")
    choice_example_decide(
        example=ChoiceExample.objects.get(text="Rechnung als PDF?"),
        approve=False,
        acting_user=supervisor,
    )
    choose("Lieferung nach Mars?")  # never reached the threshold
    held = DataSubjectFactory()
    choose("Paket nach Bern?", subject=held)
    LegalHold.objects.create(subject=held, reason="Court order")
    choose("Geschenkpapier?")
    _chosen_days_ago(days + 1)
    choose("Geschenkpapier?")  # within the period

    run = retention_purge(batch_size=1)

    assert run.counts["choice_examples"] == 2  # the old "Lieferung" and "Geschenkpapier"
    remaining = sorted(ChoiceExample.objects.values_list("text", "decision"))
    refusal = ChoiceExample.objects.get(decision="refused")  # its marker, not its words
    assert refusal.text.startswith("refused:") and refusal.subject_id is None
    assert [row for row in remaining if row[1] != "refused"] == [
        ("Geschenkpapier?", ""),
        ("Paket nach Bern?", ""),
        ("Versand nach Wien?", ""),
        ("Versand nach Wien?", "approved"),
        ("Versand nach Wien?", "approved"),
    ]
    assert ("Versand nach Wien?", "shipping_costs") in training_examples(language="de")
    assert retention_purge().counts["choice_examples"] == 0  # a second run: nothing new


def test_retention_keeps_questions_that_train_the_bot_without_a_supervisor(
    knowledge_base, settings
):
    settings.BOT_CHOICE_EXAMPLE_MIN_CHOICES = 1
    settings.AGENTS_TEACHING_AUTO_APPROVE = True
    choose()
    _chosen_days_ago(365)

    assert retention_purge(dry_run=True).counts["choice_examples"] == 0
    settings.AGENTS_TEACHING_AUTO_APPROVE = False
    assert retention_purge(dry_run=True).counts["choice_examples"] == 1


def test_the_record_of_processing_names_the_period_of_bot_learning():
    activity = ProcessingActivity.objects.get(name="Bot learning")

    assert activity.retention_policy.category == "choice_examples"
