"""Teaching leaks nothing: the proposal passes the redaction gate, the supervisor sees and
edits the redacted proposal, and objection or a missing bot_improvement consent refuse it.

Where the question is what is stored, the assertions read the tables with raw SQL.
"""

from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.urls import reverse
from django.utils import timezone, translation

from agents import services
from agents.models import Teaching
from agents.selectors import suggestion_items
from bot.learning import bot_model_train, training_examples, training_fingerprint
from bot.models import ExampleQuestion, Intent, IntentAnswer
from privacy.models import AuditEvent, ConsentRecord, DataSubject
from tests.bot.test_learning import QUESTIONS
from tests.factories import DataSubjectFactory

pytestmark = pytest.mark.django_db

NAME = "Erika Mustermann"
ORDER = "4711-2026"
# Every table the issue found the first customer's strings in (finding 1).
TABLES = {
    "agents_teaching": ["question_redacted", "proposed_slug", "proposed_title", "proposed_answer"],
    "bot_intent": ["slug"],
    "bot_intentanswer": ["title", "text"],
    "bot_examplequestion": ["text"],
    "privacy_auditevent": ["reason", "details"],
}


def stored_texts() -> str:
    """Everything those columns hold, as the database returns it (raw SQL, no ORM)."""
    found = []
    with connection.cursor() as cursor:
        for table, columns in TABLES.items():
            cursor.execute(f"SELECT {', '.join(columns)} FROM {table}")  # noqa: S608
            found += [str(value) for row in cursor.fetchall() for value in row]
    return "\n".join(found).lower()


@pytest.fixture(autouse=True)
def _routed(queue):
    """The German queue with `agent` in it: escalations land where the agent sees them."""
    return queue


@pytest.fixture
def erika():
    return DataSubjectFactory(name=NAME)


@pytest.fixture
def taught(escalate, erika, supervisor, django_capture_on_commit_callbacks):
    """A supervisor teaches a new intent from Erika's question, with her name and order
    number in the question, the title, the slug and the answer (approved at once)."""
    conversation = escalate(
        subject=erika,
        texts=[f"Hallo, ich bin {NAME}. Wo bleibt die Erstattung für Bestellnummer {ORDER}?"],
    )
    with django_capture_on_commit_callbacks(execute=True):
        teaching = services.teaching_create(
            conversation=conversation,
            agent=supervisor,
            proposed_title=f"Erstattung für {NAME} (Bestellung {ORDER})",
            proposed_slug=f"erstattung-{NAME.lower().replace(' ', '-')}",
            proposed_answer=f"Liebe Frau Mustermann, die Erstattung für {ORDER} ist unterwegs.",
        )
    return teaching


def test_teaching_with_a_name_stores_no_name_in_any_table(taught):
    assert Teaching.objects.get(pk=taught.pk).status == Teaching.Status.APPROVED

    stored = stored_texts()

    assert "mustermann" not in stored and "erika" not in stored
    intent = Intent.objects.get(pk=taught.intent_id)
    # the slug was derived from the redacted words, not from what the agent typed
    assert intent.slug == "erstattung-name"
    assert "[NAME]" in IntentAnswer.objects.get(intent=intent).title


def test_teaching_with_an_order_number_stores_no_order_number(taught):
    assert ORDER not in stored_texts() and ORDER.replace("-", "") not in stored_texts()


def test_the_model_artefact_holds_no_name(taught):
    # given the taught question among enough examples to train a model
    from bot.knowledge_base import intent_save

    for slug, questions in QUESTIONS.items():
        intent_save(
            slug=slug, titles={"de": slug}, answers={"de": slug}, examples={"de": questions}
        )

    # when the next model is trained
    record = bot_model_train(language="de", force=True)

    # then its file holds neither her name nor her example's raw form
    data = (Path(settings.MEDIA_ROOT) / "models" / record.file_name).read_bytes().lower()
    assert b"erstattung" in data  # the taught question's words are in it
    assert b"mustermann" not in data and b"erika" not in data


def test_a_second_customer_never_sees_the_first_ones_strings(taught):
    # when another customer asks about a refund, the bot's suggestions (titles and answers)
    suggestions = suggestion_items(question="Wo bleibt meine Erstattung?", language="de", limit=10)

    shown = str(suggestions).lower()
    assert suggestions, "the taught intent should be among the suggestions"
    assert "mustermann" not in shown and "erika" not in shown


class TestSupervisorEdit:
    @pytest.fixture
    def pending(self, escalate, erika, agent):
        conversation = escalate(subject=erika, texts=[f"Ich bin {NAME}, gibt es Gutscheine?"])
        return services.teaching_create(
            conversation=conversation,
            agent=agent,
            proposed_title="Gutscheine",
            proposed_answer="Ja, ab 10 Euro.",
        )

    def test_the_list_shows_the_redacted_proposal_for_editing(self, client, supervisor, pending):
        client.force_login(supervisor)

        page = client.get(reverse("agents:teachings")).content.decode()

        assert 'name="question"' in page and 'name="title"' in page and 'name="answer"' in page
        assert "[NAME]" in page and "Mustermann" not in page

    def test_an_edit_is_stored_and_approved(self, client, supervisor, pending):
        client.force_login(supervisor)

        client.post(
            reverse("agents:teaching_approve", args=[pending.pk]),
            {
                "question": "Gibt es Gutscheine?",
                "slug": "gift-cards",
                "title": "Gutscheine kaufen",
                "answer": "Ja, ab 10 Euro.",
            },
        )

        teaching = Teaching.objects.get(pk=pending.pk)
        assert teaching.status == Teaching.Status.APPROVED
        assert teaching.intent.slug == "gift-cards"
        assert teaching.intent.examples.get().text == "Gibt es Gutscheine?"
        assert IntentAnswer.objects.get(intent=teaching.intent).title == "Gutscheine kaufen"
        assert AuditEvent.objects.filter(action="teaching.edited").exists()

    @pytest.mark.parametrize(
        "edit",
        [
            {"title": f"Gutscheine für {NAME}"},
            {"question": f"{NAME} fragt nach Gutscheinen"},
            {"slug": "gutschein-erika-mustermann"},
            {"answer": "Schreiben Sie an erika.mustermann@example.org"},
        ],
    )
    def test_an_edit_with_personal_data_is_refused(self, supervisor, pending, edit):
        with translation.override("en"), pytest.raises(services.InboxError) as refused:
            services.teaching_approve(teaching=pending, acting_user=supervisor, edits=edit)

        assert refused.value.code == "personal_data"
        assert "personal data" in " ".join(refused.value.messages)
        assert Teaching.objects.get(pk=pending.pk).status == Teaching.Status.PENDING
        assert "mustermann" not in stored_texts()

    def test_the_refusal_is_shown_on_the_page(self, client, supervisor, pending):
        client.force_login(supervisor)

        response = client.post(
            reverse("agents:teaching_approve", args=[pending.pk]),
            {"question": f"{NAME} fragt", "title": "Gutscheine", "slug": "x", "answer": "Ja."},
            follow=True,
            HTTP_ACCEPT_LANGUAGE="en",
        )

        assert "personal data" in response.content.decode()
        assert Teaching.objects.get(pk=pending.pk).status == Teaching.Status.PENDING


class TestObjectionAndPurposes:
    def test_teaching_from_an_objecting_customer_is_refused(self, escalate, agent, knowledge_base):
        subject = DataSubjectFactory(learning_objected_at=timezone.now())
        conversation = escalate(subject=subject, texts=["Paket weg?"])

        with translation.override("en"), pytest.raises(services.InboxError) as refused:
            services.teaching_create(
                conversation=conversation, agent=agent, intent_slug="order_status"
            )

        assert refused.value.code == "learning_objected"
        assert "objected" in " ".join(refused.value.messages)
        assert not Teaching.objects.exists()
        assert ("Paket weg?", "order_status") not in training_examples(language="de")

    @pytest.mark.parametrize("purposes", [["support_chat"], None])
    def test_teaching_without_bot_improvement_consent_is_refused(
        self, escalate, agent, knowledge_base, purposes
    ):
        conversation = escalate(texts=["Paket weg?"], purposes=purposes)

        with pytest.raises(services.InboxError) as refused:
            services.teaching_create(
                conversation=conversation, agent=agent, intent_slug="order_status"
            )

        assert refused.value.code == "no_learning_consent"
        assert not Teaching.objects.exists()

    def test_the_page_says_why_and_the_post_is_refused(self, client, escalate, agent, queue):
        subject = DataSubjectFactory(learning_objected_at=timezone.now())
        conversation = escalate(subject=subject, texts=["Paket weg?"])
        client.force_login(agent)
        url = reverse("agents:conversation", kwargs={"public_id": conversation.public_id})

        page = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
        response = client.post(
            reverse("agents:teach", kwargs={"public_id": conversation.public_id}),
            {"intent": "", "proposed_slug": "neu", "proposed_answer": "Ja."},
            HTTP_ACCEPT="application/json",
        )

        assert 'id="teach-refused"' in page and "objected" in page
        assert response.status_code == 409
        assert response.json()["error"] == "learning_objected"

    def test_an_objection_before_approval_refuses_the_approval(
        self, escalate, agent, supervisor, knowledge_base
    ):
        subject = DataSubjectFactory()
        conversation = escalate(subject=subject, texts=["Paket weg?"])
        teaching = services.teaching_create(
            conversation=conversation, agent=agent, intent_slug="order_status"
        )
        DataSubject.objects.filter(pk=subject.pk).update(learning_objected_at=timezone.now())

        with pytest.raises(services.InboxError) as refused:
            services.teaching_approve(teaching=teaching, acting_user=supervisor)

        assert refused.value.code == "learning_objected"
        assert not ExampleQuestion.objects.filter(text="Paket weg?").exists()

    def test_a_later_objection_takes_the_examples_out_of_the_next_training_set(
        self, escalate, supervisor, knowledge_base
    ):
        # given two customers' approved examples
        erika, other = DataSubjectFactory(), DataSubjectFactory()
        for subject, text in ((erika, "Paket von Erika weg?"), (other, "Paket verschollen?")):
            services.teaching_create(
                conversation=escalate(subject=subject, texts=[text]),
                agent=supervisor,
                intent_slug="order_status",
            )
        before = training_examples(language="de")
        assert ("Paket von [NAME] weg?", "order_status") in before or (
            "Paket von Erika weg?",
            "order_status",
        ) in before

        # when the first objects (Art. 21), after approval
        DataSubject.objects.filter(pk=erika.pk).update(learning_objected_at=timezone.now())

        # then the next training set leaves her example out and keeps the other's
        after = training_examples(language="de")
        assert len(after) == len(before) - 1
        assert ("Paket verschollen?", "order_status") in after
        assert not any("Erika" in text or "[NAME] weg" in text for text, _ in after)
        assert training_fingerprint(after) != training_fingerprint(before)

    def test_the_next_model_is_trained_without_a_later_objectors_example(
        self, escalate, supervisor
    ):
        from bot.knowledge_base import intent_save

        for slug, questions in QUESTIONS.items():
            intent_save(
                slug=slug, titles={"de": slug}, answers={"de": slug}, examples={"de": questions}
            )
        subject = DataSubjectFactory()
        services.teaching_create(
            conversation=escalate(subject=subject, texts=["Versand nach Quaxelbrumm?"]),
            agent=supervisor,
            intent_slug="shipping_costs",
        )
        first = bot_model_train(language="de")
        first.refresh_from_db()
        model_file = Path(settings.MEDIA_ROOT) / "models" / first.file_name
        assert first.status == "active" and b"quaxelbrumm" in model_file.read_bytes().lower()

        DataSubject.objects.filter(pk=subject.pk).update(learning_objected_at=timezone.now())
        second = bot_model_train(language="de")

        # retrained (the fingerprint changed) from one example fewer: hers
        assert second is not None and second.examples_count == first.examples_count - 1
        data = (Path(settings.MEDIA_ROOT) / "models" / second.file_name).read_bytes().lower()
        assert b"quaxelbrumm" not in data

    def test_the_keyword_matcher_drops_an_objecting_persons_example(
        self, escalate, supervisor, knowledge_base
    ):
        from bot import chat

        subject = DataSubjectFactory()
        services.teaching_create(
            conversation=escalate(
                subject=subject, texts=["Wie funktioniert der Quaxelbrumm-Gutschein?"]
            ),
            agent=supervisor,
            intent_slug="order_status",
        )
        chat._answerer_cache["checked_at"] = float("-inf")
        assert chat.answerer_get()._fallback.ranked("Quaxelbrumm", "de")

        DataSubject.objects.filter(pk=subject.pk).update(learning_objected_at=timezone.now())
        chat._answerer_cache["checked_at"] = float("-inf")

        assert not chat.answerer_get()._fallback.ranked("Quaxelbrumm", "de")

    def test_the_knowledge_base_export_leaves_an_objecting_persons_example_out(
        self, escalate, supervisor, knowledge_base
    ):
        from bot.knowledge_base import knowledge_base_csv_export, knowledge_base_export

        subject = DataSubjectFactory()
        services.teaching_create(
            conversation=escalate(
                subject=subject, texts=["Wie funktioniert der Quaxelbrumm-Gutschein?"]
            ),
            agent=supervisor,
            intent_slug="order_status",
        )
        assert "Quaxelbrumm" in str(knowledge_base_export())

        DataSubject.objects.filter(pk=subject.pk).update(learning_objected_at=timezone.now())

        # an export re-imported would otherwise bring it back as an operator's example
        assert "Quaxelbrumm" not in str(knowledge_base_export())
        assert "Quaxelbrumm" not in knowledge_base_csv_export()

    def test_a_withdrawn_consent_takes_the_examples_out_too(
        self, escalate, supervisor, knowledge_base
    ):
        conversation = escalate(texts=["Paket verschollen?"])
        services.teaching_create(
            conversation=conversation, agent=supervisor, intent_slug="order_status"
        )
        assert ("Paket verschollen?", "order_status") in training_examples(language="de")

        ConsentRecord.objects.filter(pk=conversation.consent_id).update(withdrawn_at=timezone.now())

        assert ("Paket verschollen?", "order_status") not in training_examples(language="de")

    def test_erasure_deletes_the_persons_examples_and_teachings(
        self, escalate, supervisor, agent, knowledge_base
    ):
        from privacy.services import subject_erase

        subject = DataSubjectFactory()
        conversation = escalate(subject=subject, texts=["Paket verschollen?"])
        services.teaching_create(
            conversation=conversation, agent=supervisor, intent_slug="order_status"
        )

        pending = services.teaching_create(
            conversation=escalate(subject=subject, texts=["Paket noch immer weg?"]),
            agent=agent,
            intent_slug="order_status",
        )

        subject_erase(subject=subject, acting_user=None, reason="test")

        assert not ExampleQuestion.objects.filter(text="Paket verschollen?").exists()
        assert not Teaching.objects.filter(pk=pending.pk).exists()
        assert not Teaching.objects.filter(question_redacted="Paket verschollen?").exists()


def test_the_admin_cannot_edit_or_decide_a_teaching(client, admin_user, taught):
    client.force_login(admin_user)

    response = client.post(
        f"/admin/agents/teaching/{taught.pk}/change/",
        {"question_redacted": f"{NAME} fragt", "status": "pending"},
    )

    assert response.status_code == 403
    assert "mustermann" not in stored_texts()


def test_the_migration_redacts_what_teaching_stored_before_the_gate(escalate, erika, supervisor):
    import importlib

    from django.apps import apps

    from bot.models import Message

    # given rows as teaching wrote them before: the name in every proposal field, in the
    # intent it created, its example, and the intent slug recorded on a bot answer
    conversation = escalate(subject=erika, texts=["Wo bleibt meine Erstattung?"])
    intent = Intent.objects.create(slug="erstattung-erika-mustermann")
    IntentAnswer.objects.create(
        intent=intent, language="de", title=f"Erstattung für {NAME}", text="Ist unterwegs."
    )
    ExampleQuestion.objects.create(
        intent=intent, language="de", text=f"Ich bin {NAME}, Erstattung?", source="agent"
    )
    Message.objects.create(
        conversation=conversation, seq=99, sender="bot", text="x", intent_slug=intent.slug
    )
    Teaching.objects.create(
        kind="new_intent",
        status="approved",
        language="de",
        question_redacted=f"Ich bin {NAME}, Erstattung?",
        proposed_slug=intent.slug,
        proposed_title=f"Erstattung für {NAME}",
        proposed_answer="Ist unterwegs.",
        intent=intent,
        conversation=conversation,
        decided_at=timezone.now(),
    )
    migration = importlib.import_module("agents.migrations.0003_taught_texts_redacted")

    # when the data migration runs
    migration.taught_texts_redacted(apps, None)

    # then no table holds her name, and the intent and its answers are found by the new slug
    assert "mustermann" not in stored_texts() and "erika" not in stored_texts()
    with connection.cursor() as cursor:
        cursor.execute("SELECT intent_slug FROM bot_message WHERE seq = 99")
        new_slug = cursor.fetchone()[0]
    assert "mustermann" not in new_slug
    assert Intent.objects.get(pk=intent.pk).slug == new_slug
