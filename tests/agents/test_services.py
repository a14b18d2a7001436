"""The inbox's services against the real database; pushes recorded instead of sent."""

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.utils import timezone

from agents import services
from agents.models import AgentProfile, Assignment, CannedResponse, InternalNote, Teaching
from agents.selectors import canned_text_render, email_mask
from bot.models import Conversation, ExampleQuestion, IntentAnswer, Message
from bot.services import MESSAGE_TEXT_MAX_LENGTH, message_append
from privacy.models import AuditEvent
from privacy.services import subject_erase, subject_export
from tests.agents.conftest import frames_to
from tests.factories import AgentFactory, DataSubjectFactory, QueueFactory

pytestmark = pytest.mark.django_db


def customer_group(conversation) -> str:
    return f"customer_{conversation.public_id.hex}"


def conversation_group(conversation) -> str:
    return f"conversation_{conversation.public_id.hex}"


# Routing -----------------------------------------------------------------------------------


class TestRouting:
    def test_an_escalation_goes_to_the_queue_of_its_language(self, escalate):
        german = QueueFactory(language="de")
        QueueFactory(language="en")
        QueueFactory(language="")

        conversation = escalate(language="de")

        assert conversation.assignment.queue == german
        assert conversation.assignment.agent is None

    def test_a_queue_without_language_serves_every_language(self, escalate):
        anything = QueueFactory(language="")
        QueueFactory(language="de")

        conversation = escalate(language="en")

        assert conversation.assignment.queue == anything

    def test_the_topic_of_the_last_recognised_intent_picks_among_queues(self, escalate):
        from bot.models import Intent

        Intent.objects.create(slug="returns", topic="returns")
        QueueFactory(language="de", name="A general")
        returns = QueueFactory(language="de", topic="returns", name="B returns")
        conversation = escalate(route=False)
        message_append(
            conversation=conversation,
            sender="bot",
            text="Rücksendungen sind 30 Tage kostenlos.",
            intent_slug="returns",
            confidence=0.5,
        )

        assignment = services.assignment_route(conversation_id=conversation.pk)

        assert assignment.queue == returns

    def test_without_a_matching_queue_the_conversation_is_unrouted(self, escalate):
        QueueFactory(language="en")

        conversation = escalate(language="de")

        assert conversation.assignment.queue is None

    def test_routing_twice_creates_one_assignment(self, escalate, queue):
        conversation = escalate()

        first = Assignment.objects.get(conversation=conversation)
        again = services.assignment_route(conversation_id=conversation.pk)

        # The existing assignment is kept (and returned), never a second one made.
        assert again == first and Assignment.objects.filter(conversation=conversation).count() == 1

    def test_routing_is_audited_and_pushed_to_the_queue_inbox(self, escalate, queue, pushes):
        conversation = escalate()

        event = AuditEvent.objects.get(action="conversation.routed")
        assert event.target_id == str(conversation.pk)
        payloads = frames_to(pushes, f"inbox_{queue.pk}")
        assert payloads[-1]["type"] == "conversation.update"
        assert payloads[-1]["conversation"]["status"] == "waiting"
        assert payloads[-1]["conversation"]["preview"] == "Wo ist mein Paket?"

    def test_the_escalation_listener_routes_after_the_customers_commit(
        self, queue, django_capture_on_commit_callbacks
    ):
        from bot.chat import conversation_escalate
        from tests.factories import ConversationFactory

        conversation = ConversationFactory()

        with django_capture_on_commit_callbacks(execute=True):
            conversation_escalate(conversation=conversation, reason="low_confidence")

        assert Assignment.objects.get(conversation=conversation).queue == queue

    def test_auto_assignment_picks_the_least_busy_online_agent(self, escalate, settings):
        settings.AGENTS_AUTO_ASSIGN = True
        busy, idle, offline = AgentFactory(), AgentFactory(), AgentFactory()
        QueueFactory(members=[busy, idle, offline])
        for user, availability in [(busy, "online"), (idle, "online"), (offline, "offline")]:
            AgentProfile.objects.create(
                user=user, display_name=user.username, availability=availability
            )
        first = escalate()
        services.conversation_assign(conversation=first, agent=busy, acting_user=busy)

        conversation = escalate()

        assert conversation.assignment.agent == idle
        assert conversation.status == Conversation.Status.ASSIGNED

    def test_without_an_online_agent_auto_assignment_leaves_it_waiting(self, escalate, settings):
        settings.AGENTS_AUTO_ASSIGN = True
        QueueFactory(members=[AgentFactory()])

        conversation = escalate()

        assert conversation.status == Conversation.Status.WAITING


# Claiming ------------------------------------------------------------------------------------


@pytest.mark.usefixtures("queue")
class TestClaim:
    def test_claiming_assigns_the_agent_and_tells_the_customer(
        self, committed, escalate, agent, pushes
    ):
        conversation = escalate()

        with committed():
            services.conversation_claim(conversation=conversation, agent=agent)

        conversation.refresh_from_db()
        assert conversation.status == Conversation.Status.ASSIGNED
        assert conversation.assignment.agent == agent
        frames = frames_to(pushes, customer_group(conversation))
        assert {"type": "status", "status": "assigned", "agent": agent.username} in frames

    def test_claiming_is_audited(self, escalate, agent):
        conversation = escalate()

        services.conversation_claim(conversation=conversation, agent=agent)

        assert AuditEvent.objects.get(action="conversation.claimed").acting_user == agent

    def test_the_second_claim_is_refused_naming_the_winner(self, escalate, agent, colleague):
        conversation = escalate()
        services.conversation_claim(conversation=conversation, agent=agent)

        with pytest.raises(services.InboxError) as refused:
            services.conversation_claim(conversation=conversation, agent=colleague)

        assert refused.value.code == "already_claimed"
        assert agent.username in refused.value.messages[0]
        assert Assignment.objects.get(conversation=conversation).agent == agent

    def test_claiming_ones_own_conversation_again_is_harmless(self, escalate, agent):
        conversation = escalate()
        services.conversation_claim(conversation=conversation, agent=agent)

        services.conversation_claim(conversation=conversation, agent=agent)

        assert AuditEvent.objects.filter(action="conversation.claimed").count() == 1

    def test_a_resolved_conversation_cannot_be_claimed(self, escalate, agent, colleague):
        conversation = escalate()
        services.conversation_resolve_by_agent(conversation=conversation, agent=colleague)

        with pytest.raises(services.InboxError) as refused:
            services.conversation_claim(conversation=conversation, agent=agent)

        assert refused.value.code == "conversation_resolved"
        assert Assignment.objects.get(conversation=conversation).agent is None

    def test_an_agent_outside_the_queue_cannot_claim(self, escalate, queue, other_queue):
        conversation = escalate()
        outsider = other_queue.members.get()

        with pytest.raises(PermissionDenied):
            services.conversation_claim(conversation=conversation, agent=outsider)

    def test_claiming_an_unrouted_conversation_routes_it_first(self, escalate, supervisor):
        conversation = escalate(route=False)

        services.conversation_claim(conversation=conversation, agent=supervisor)

        assert Assignment.objects.get(conversation=conversation).agent == supervisor


@pytest.mark.usefixtures("queue")
class TestAssignAndTransfer:
    def test_a_supervisor_assigns_to_a_queue_member(
        self, committed, escalate, agent, supervisor, pushes
    ):
        conversation = escalate()

        with committed():
            services.conversation_assign(
                conversation=conversation, agent=agent, acting_user=supervisor
            )

        assert Assignment.objects.get(conversation=conversation).agent == agent
        assert frames_to(pushes, f"staff_{agent.pk}")

    def test_assigning_to_someone_outside_the_queue_is_refused(
        self, escalate, supervisor, other_queue
    ):
        conversation = escalate()

        with pytest.raises(services.InboxError) as refused:
            services.conversation_assign(
                conversation=conversation,
                agent=other_queue.members.get(),
                acting_user=supervisor,
            )

        assert refused.value.code == "agent_not_in_queue"
        assert Assignment.objects.get(conversation=conversation).agent is None

    def test_an_agent_cannot_reassign_a_colleagues_conversation(self, escalate, agent, colleague):
        conversation = escalate()
        services.conversation_claim(conversation=conversation, agent=colleague)

        with pytest.raises(PermissionDenied):
            services.conversation_assign(conversation=conversation, agent=agent, acting_user=agent)

    def test_transfer_moves_it_to_the_other_queue_waiting(
        self, committed, escalate, agent, other_queue, pushes
    ):
        conversation = escalate()
        old_queue = conversation.assignment.queue
        services.conversation_claim(conversation=conversation, agent=agent)

        with committed():
            services.conversation_transfer(
                conversation=conversation, queue_id=other_queue.pk, acting_user=agent
            )

        assignment = Assignment.objects.get(conversation=conversation)
        assert (assignment.queue, assignment.agent) == (other_queue, None)
        assert Conversation.objects.get(pk=conversation.pk).status == "waiting"
        # Both inboxes learn of it: the old one drops the row, the new one shows it.
        assert frames_to(pushes, f"inbox_{old_queue.pk}")
        assert frames_to(pushes, f"inbox_{other_queue.pk}")

    @pytest.mark.parametrize("queue_id", [999999, "nope", None, ""])
    def test_transfer_to_a_nonexistent_queue_changes_nothing(self, escalate, agent, queue_id):
        conversation = escalate()
        services.conversation_claim(conversation=conversation, agent=agent)

        with pytest.raises(services.InboxError) as refused:
            services.conversation_transfer(
                conversation=conversation, queue_id=queue_id, acting_user=agent
            )

        assert refused.value.code == "unknown_queue"
        assignment = Assignment.objects.get(conversation=conversation)
        assert assignment.agent == agent and assignment.queue == conversation.assignment.queue
        assert not AuditEvent.objects.filter(action="conversation.transferred").exists()


# Replies and notes ---------------------------------------------------------------------------


@pytest.mark.usefixtures("queue")
class TestReply:
    def test_a_reply_is_stored_and_reaches_the_customer(self, committed, escalate, agent, pushes):
        conversation = escalate()
        services.conversation_claim(conversation=conversation, agent=agent)

        with committed():
            message = services.conversation_reply(
                conversation=conversation, agent=agent, text="Ihr Paket kommt morgen."
            )

        assert (message.sender, message.sender_user, message.text) == (
            "agent",
            agent,
            "Ihr Paket kommt morgen.",
        )
        frame = frames_to(pushes, customer_group(conversation))[-1]
        assert frame == {
            "type": "message",
            "seq": message.seq,
            "from": "agent",
            "text": "Ihr Paket kommt morgen.",
            "sent_at": message.created_at.isoformat(),
        }

    def test_a_reply_reaches_the_colleagues_watching(self, committed, escalate, agent, pushes):
        conversation = escalate()

        with committed():
            services.conversation_reply(conversation=conversation, agent=agent, text="Hallo!")

        payloads = frames_to(pushes, conversation_group(conversation))
        assert any(p.get("type") == "message" and p["text"] == "Hallo!" for p in payloads)

    def test_a_reply_to_a_waiting_conversation_claims_it(self, escalate, agent):
        conversation = escalate()

        services.conversation_reply(conversation=conversation, agent=agent, text="Hallo!")

        assert Assignment.objects.get(conversation=conversation).agent == agent
        assert Conversation.objects.get(pk=conversation.pk).status == "assigned"

    def test_a_reply_is_audited(self, escalate, agent):
        conversation = escalate()

        message = services.conversation_reply(conversation=conversation, agent=agent, text="Hi")

        event = AuditEvent.objects.get(action="conversation.replied")
        assert event.details == {"seq": message.seq} and event.acting_user == agent

    @pytest.mark.parametrize(
        ("text", "code"),
        [
            ("", "empty_text"),
            ("   \n ", "empty_text"),
            (None, "empty_text"),
            ("x" * (MESSAGE_TEXT_MAX_LENGTH + 1), "text_too_long"),
        ],
    )
    def test_empty_or_oversize_replies_are_refused(self, escalate, agent, text, code):
        conversation = escalate()
        before = Message.objects.filter(conversation=conversation).count()

        with pytest.raises(services.InboxError) as refused:
            services.conversation_reply(conversation=conversation, agent=agent, text=text)

        assert refused.value.code == code
        assert Message.objects.filter(conversation=conversation).count() == before

    def test_a_reply_of_the_maximum_length_is_sent(self, escalate, agent):
        conversation = escalate()

        message = services.conversation_reply(
            conversation=conversation, agent=agent, text="x" * MESSAGE_TEXT_MAX_LENGTH
        )

        assert len(message.text) == MESSAGE_TEXT_MAX_LENGTH

    def test_a_reply_to_a_resolved_conversation_is_refused(self, escalate, agent):
        conversation = escalate()
        services.conversation_resolve_by_agent(conversation=conversation, agent=agent)
        before = Message.objects.filter(conversation=conversation).count()

        with pytest.raises(services.InboxError) as refused:
            services.conversation_reply(conversation=conversation, agent=agent, text="Noch da?")

        assert refused.value.code == "conversation_resolved"
        assert Message.objects.filter(conversation=conversation).count() == before

    def test_a_reply_to_a_closed_conversation_is_refused(self, escalate, agent):
        conversation = escalate()
        Conversation.objects.filter(pk=conversation.pk).update(
            status="closed", closed_at=timezone.now()
        )

        with pytest.raises(services.InboxError) as refused:
            services.conversation_reply(conversation=conversation, agent=agent, text="Hallo")

        assert refused.value.code == "conversation_closed"

    def test_a_reply_to_a_colleagues_conversation_is_refused(self, escalate, agent, colleague):
        conversation = escalate()
        services.conversation_claim(conversation=conversation, agent=colleague)

        with pytest.raises(PermissionDenied):
            services.conversation_reply(conversation=conversation, agent=agent, text="Hallo")

    def test_a_supervisor_may_step_into_any_conversation(self, escalate, agent, supervisor):
        conversation = escalate()
        services.conversation_claim(conversation=conversation, agent=agent)

        message = services.conversation_reply(
            conversation=conversation, agent=supervisor, text="Ich übernehme kurz."
        )

        assert message.sender_user == supervisor


@pytest.mark.usefixtures("queue")
class TestNotes:
    def test_a_note_is_stored_encrypted(self, escalate, agent):
        conversation = escalate()

        note = services.note_add(
            conversation=conversation, author=agent, text="Rückruf bei Frau Muster"
        )

        with connection.cursor() as cursor:
            cursor.execute("SELECT text FROM agents_internalnote WHERE id = %s", [note.pk])
            stored = cursor.fetchone()[0]
        assert "Muster" not in stored and stored.startswith("gAAAA")
        assert InternalNote.objects.get(pk=note.pk).text == "Rückruf bei Frau Muster"

    def test_a_note_never_reaches_the_customer(self, committed, escalate, agent, pushes):
        conversation = escalate()

        with committed():
            services.note_add(conversation=conversation, author=agent, text="intern")

        assert frames_to(pushes, customer_group(conversation)) == []
        assert frames_to(pushes, conversation_group(conversation))[-1]["type"] == "note"
        assert not Message.objects.filter(conversation=conversation, sender="agent").exists()

    def test_an_empty_note_is_refused(self, escalate, agent):
        conversation = escalate()

        with pytest.raises(services.InboxError):
            services.note_add(conversation=conversation, author=agent, text=" ")

        assert not InternalNote.objects.exists()


# Resolve and reopen --------------------------------------------------------------------------


@pytest.mark.usefixtures("queue")
class TestResolve:
    def test_resolving_sets_resolved_at_and_tells_the_customer(
        self, committed, escalate, agent, pushes
    ):
        conversation = escalate()
        services.conversation_claim(conversation=conversation, agent=agent)

        with committed():
            services.conversation_resolve_by_agent(conversation=conversation, agent=agent)

        conversation.refresh_from_db()
        assert conversation.status == "resolved" and conversation.resolved_at is not None
        notice = Message.objects.filter(conversation=conversation).order_by("-seq").first()
        assert notice.sender == "system" and "gelöst" in notice.text
        frames = frames_to(pushes, customer_group(conversation))
        assert [f["type"] for f in frames[-3:]] == ["message", "status", "csat.request"]
        assert frames[-2] == {"type": "status", "status": "resolved"}

    def test_the_resolution_notice_is_in_the_customers_language(self, escalate, agent):
        conversation = escalate(language="en")

        services.conversation_resolve_by_agent(conversation=conversation, agent=agent)

        notice = Message.objects.filter(conversation=conversation).order_by("-seq").first()
        assert "resolved" in notice.text

    def test_resolving_is_audited(self, escalate, agent):
        conversation = escalate()

        services.conversation_resolve_by_agent(conversation=conversation, agent=agent)

        assert AuditEvent.objects.get(action="conversation.resolved").acting_user == agent

    def test_resolving_twice_is_refused(self, escalate, agent):
        conversation = escalate()
        services.conversation_resolve_by_agent(conversation=conversation, agent=agent)

        with pytest.raises(services.InboxError) as refused:
            services.conversation_resolve_by_agent(conversation=conversation, agent=agent)

        assert refused.value.code == "conversation_resolved"

    def test_reopening_gives_it_to_the_reopening_agent(self, committed, escalate, agent, pushes):
        conversation = escalate()
        services.conversation_resolve_by_agent(conversation=conversation, agent=agent)

        with committed():
            services.conversation_reopen(conversation=conversation, agent=agent)

        conversation.refresh_from_db()
        assert (conversation.status, conversation.resolved_at) == ("assigned", None)
        assert conversation.assignment.agent == agent
        assert frames_to(pushes, customer_group(conversation))[-1]["status"] == "assigned"

    def test_a_closed_conversation_cannot_be_reopened(self, escalate, agent):
        conversation = escalate()
        Conversation.objects.filter(pk=conversation.pk).update(
            status="closed", closed_at=timezone.now(), resolved_at=timezone.now()
        )

        with pytest.raises(services.InboxError) as refused:
            services.conversation_reopen(conversation=conversation, agent=agent)

        assert refused.value.code == "conversation_closed"

    def test_an_active_conversation_cannot_be_reopened(self, escalate, agent):
        conversation = escalate()

        with pytest.raises(services.InboxError) as refused:
            services.conversation_reopen(conversation=conversation, agent=agent)

        assert refused.value.code == "not_resolved"


# Audited reads of personal data --------------------------------------------------------------


@pytest.mark.usefixtures("queue")
class TestPersonalDataReads:
    def test_opening_a_conversation_with_a_subject_is_audited(self, escalate, subject, agent):
        conversation = escalate(subject=subject)

        services.conversation_view_record(conversation=conversation, acting_user=agent)

        event = AuditEvent.objects.get(action="conversation.viewed")
        assert event.acting_user == agent and event.subject_public_id == subject.public_id
        assert event.target_id == str(conversation.pk)

    def test_revealing_the_email_is_audited_with_the_reason(self, escalate, subject, agent):
        conversation = escalate(subject=subject)

        email = services.subject_email_reveal(
            conversation=conversation,
            acting_user=agent,
            reason_code="customer_request",
            note="Rückruf vereinbart",
        )

        assert email == subject.email
        event = AuditEvent.objects.get(action="subject.email_revealed")
        assert (event.acting_user, event.reason_code) == (agent, "customer_request")
        assert event.reason == "Rückruf vereinbart"
        assert event.subject_public_id == subject.public_id

    def test_the_reveal_note_is_stored_without_personal_data(self, escalate, agent):
        subject = DataSubjectFactory(name="Jonas Becker")
        conversation = escalate(subject=subject)
        surname = "Becker"

        services.subject_email_reveal(
            conversation=conversation,
            acting_user=agent,
            reason_code="other",
            note=f"Herr {surname} bat um Rückruf, Tel. 0171 2345678",
        )

        # then the stored bytes hold the code, the redacted note, and no name or number
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT reason_code, reason, details FROM privacy_auditevent WHERE action = %s",
                ["subject.email_revealed"],
            )
            code, note, details = cursor.fetchone()
        assert code == "other" and "bat um Rückruf" in note
        assert surname not in note + str(details) and "2345678" not in note
        assert "[NAME]" in note and "[PHONE]" in note

    @pytest.mark.parametrize(
        ("reason_code", "note", "code"),
        [
            ("", "", "invalid_reason"),
            ("curiosity", "", "invalid_reason"),
            ("other", "", "note_required"),
            ("order_lookup", "x" * 501, "invalid_note"),
        ],
    )
    def test_a_reveal_needs_a_known_reason_code(
        self, escalate, subject, agent, reason_code, note, code
    ):
        conversation = escalate(subject=subject)

        with pytest.raises(services.InboxError) as refused:
            services.subject_email_reveal(
                conversation=conversation, acting_user=agent, reason_code=reason_code, note=note
            )

        assert refused.value.code == code
        assert not AuditEvent.objects.filter(action="subject.email_revealed").exists()

    def test_an_outsider_cannot_reveal_the_email(self, escalate, subject, other_queue):
        conversation = escalate(subject=subject)

        with pytest.raises(PermissionDenied):
            services.subject_email_reveal(
                conversation=conversation,
                acting_user=other_queue.members.get(),
                reason_code="order_lookup",
            )

        assert not AuditEvent.objects.filter(action="subject.email_revealed").exists()

    def test_the_email_is_masked(self):
        assert email_mask("erika.mustermann@example.org") == "e•••@e•••.org"
        assert email_mask("") == ""


# Availability and canned responses -----------------------------------------------------------


class TestAvailability:
    def test_availability_is_stored_and_pushed(self, committed, agent, pushes):
        with committed():
            profile = services.agent_availability_set(user=agent, availability="online")

        assert profile.availability == "online"
        assert frames_to(pushes, "inbox_presence")[-1]["availability"] == "online"

    def test_unknown_availability_is_refused(self, agent):
        with pytest.raises(services.InboxError):
            services.agent_availability_set(user=agent, availability="asleep")


class TestCannedResponses:
    def test_placeholders_are_filled_and_unknown_ones_kept(self):
        text = canned_text_render("Hallo {name}, hier {agent}. {unknown} {0}", {"name": "Erika"})

        assert text == "Hallo Erika, hier {agent}. {unknown} {0}"

    def test_an_agent_creates_a_personal_response(self, agent):
        response = services.canned_response_create(
            acting_user=agent, title="Hi", text="Hallo {name}"
        )

        assert response.owner == agent and response.queue is None

    def test_only_supervisors_create_queue_responses(self, agent, queue):
        with pytest.raises(PermissionDenied):
            services.canned_response_create(acting_user=agent, title="Hi", text="x", queue=queue)

    def test_an_agent_cannot_delete_a_colleagues_response(self, agent, colleague):
        response = CannedResponse.objects.create(title="t", text="x", owner=colleague)

        with pytest.raises(PermissionDenied):
            services.canned_response_delete(canned_response=response, acting_user=agent)


# Teaching the bot ----------------------------------------------------------------------------


@pytest.mark.usefixtures("queue")
class TestTeaching:
    def test_a_link_stores_only_the_redacted_question(
        self, escalate, agent, subject, knowledge_base
    ):
        conversation = escalate(
            subject=subject,
            texts=[f"Ich bin {subject.name}, mail an {subject.email}: wo ist mein Paket?"],
        )

        teaching = services.teaching_create(
            conversation=conversation, agent=agent, intent_slug="order_status"
        )

        assert teaching.status == "pending" and teaching.kind == "link"
        assert subject.email not in teaching.question_redacted
        assert "[EMAIL]" in teaching.question_redacted
        assert subject.name.split()[-1] not in teaching.question_redacted

    def test_approving_a_link_adds_an_agent_example_to_the_intent(
        self, escalate, agent, supervisor, knowledge_base
    ):
        conversation = escalate(texts=["Mein Päckchen ist verschollen"])
        teaching = services.teaching_create(
            conversation=conversation, agent=agent, intent_slug="order_status"
        )

        services.teaching_approve(teaching=teaching, acting_user=supervisor)

        example = ExampleQuestion.objects.get(text="Mein Päckchen ist verschollen")
        assert (example.intent.slug, example.source, example.language) == (
            "order_status",
            "agent",
            "de",
        )
        assert AuditEvent.objects.filter(action="teaching.approved").exists()

    def test_a_proposed_intent_is_created_with_the_redacted_answer(
        self, escalate, agent, supervisor, subject
    ):
        conversation = escalate(subject=subject, texts=["Gibt es Gutscheine?"])
        teaching = services.teaching_create(
            conversation=conversation,
            agent=agent,
            proposed_slug="Gift Cards",
            proposed_title="Gutscheine",
            proposed_answer=f"Ja, {subject.name}, ab 10 Euro.",
        )

        services.teaching_approve(teaching=teaching, acting_user=supervisor)

        answer = IntentAnswer.objects.get(intent__slug="gift-cards")
        assert subject.name.split()[-1] not in answer.text and "ab 10 Euro" in answer.text
        assert answer.intent.examples.get().text == "Gibt es Gutscheine?"

    def test_an_agent_cannot_approve(self, escalate, agent, knowledge_base):
        conversation = escalate()
        teaching = services.teaching_create(
            conversation=conversation, agent=agent, intent_slug="order_status"
        )

        with pytest.raises(PermissionDenied):
            services.teaching_approve(teaching=teaching, acting_user=agent)

    def test_a_supervisors_teaching_is_approved_at_once(self, escalate, supervisor, knowledge_base):
        conversation = escalate(texts=["Paket weg?"])

        teaching = services.teaching_create(
            conversation=conversation, agent=supervisor, intent_slug="order_status"
        )

        assert teaching.status == "approved"
        assert ExampleQuestion.objects.filter(text="Paket weg?", source="agent").exists()

    def test_the_auto_approve_setting_approves_agents_teachings(
        self, escalate, agent, settings, knowledge_base
    ):
        settings.AGENTS_TEACHING_AUTO_APPROVE = True
        conversation = escalate(texts=["Paket weg?"])

        teaching = services.teaching_create(
            conversation=conversation, agent=agent, intent_slug="order_status"
        )

        assert teaching.status == "approved"

    def test_rejecting_adds_nothing(self, escalate, agent, supervisor, knowledge_base):
        conversation = escalate(texts=["Paket weg?"])
        teaching = services.teaching_create(
            conversation=conversation, agent=agent, intent_slug="order_status"
        )

        services.teaching_reject(teaching=teaching, acting_user=supervisor)

        assert Teaching.objects.get(pk=teaching.pk).status == "rejected"
        assert not ExampleQuestion.objects.filter(text="Paket weg?").exists()

    def test_deciding_twice_is_refused(self, escalate, agent, supervisor, knowledge_base):
        conversation = escalate()
        teaching = services.teaching_create(
            conversation=conversation, agent=agent, intent_slug="order_status"
        )
        services.teaching_reject(teaching=teaching, acting_user=supervisor)

        with pytest.raises(services.InboxError) as refused:
            services.teaching_approve(teaching=teaching, acting_user=supervisor)

        assert refused.value.code == "not_pending"

    @pytest.mark.parametrize(
        ("kwargs", "code"),
        [
            ({"intent_slug": "no-such-intent"}, "unknown_intent"),
            ({"proposed_slug": "", "proposed_answer": "x"}, "invalid_slug"),
            ({"proposed_slug": "order_status", "proposed_answer": "x"}, "slug_taken"),
            ({"proposed_slug": "neu", "proposed_answer": " "}, "empty_text"),
        ],
    )
    def test_bad_teachings_are_refused(self, escalate, agent, knowledge_base, kwargs, code):
        conversation = escalate()

        with pytest.raises(services.InboxError) as refused:
            services.teaching_create(conversation=conversation, agent=agent, **kwargs)

        assert refused.value.code == code and not Teaching.objects.exists()

    def test_a_conversation_without_a_question_cannot_teach(self, escalate, agent, knowledge_base):
        conversation = escalate(texts=())

        with pytest.raises(services.InboxError) as refused:
            services.teaching_create(
                conversation=conversation, agent=agent, intent_slug="order_status"
            )

        assert refused.value.code == "no_question"


# Personal data provider ----------------------------------------------------------------------


@pytest.mark.usefixtures("queue")
class TestProvider:
    def test_export_holds_the_notes(self, escalate, subject, agent):
        conversation = escalate(subject=subject)
        services.note_add(conversation=conversation, author=agent, text="Kundin ruft zurück")

        export = subject_export(subject=subject, acting_user=agent)

        notes = export["data"]["agents.internal_notes"]["internal_notes"]
        assert [n["text"] for n in notes] == ["Kundin ruft zurück"]

    def test_erasure_deletes_notes_and_assignments(self, escalate, subject, agent, knowledge_base):
        conversation = escalate(subject=subject)
        services.note_add(conversation=conversation, author=agent, text="Notiz")
        teaching = services.teaching_create(
            conversation=conversation, agent=agent, intent_slug="order_status"
        )

        counts = subject_erase(subject=subject, acting_user=agent, reason="Art. 17")

        assert counts["agents.internal_notes"] == {"internal_notes": 1, "teachings": 1}
        assert not InternalNote.objects.exists() and not Assignment.objects.exists()
        # Redacted, but the person's words: detached, a pending one could be approved
        # into training after the erasure, so it goes with them.
        assert not Teaching.objects.filter(pk=teaching.pk).exists()

    def test_a_reply_to_an_erased_conversation_finds_nothing(self, escalate, subject, agent):
        conversation = escalate(subject=subject)
        subject_erase(subject=subject, acting_user=agent, reason="Art. 17")

        with pytest.raises(Conversation.DoesNotExist):
            services.conversation_reply(conversation=conversation, agent=agent, text="Hallo")


class TestAccounts:
    def test_disabling_an_agent_closes_their_sockets(
        self, agent, pushes, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            agent.is_active = False
            agent.save()

        assert frames_to(pushes, f"staff_{agent.pk}") == [{"type": "staff.close"}]


def test_a_customer_writing_after_resolution_goes_back_to_the_agent(
    escalate, queue, agent, django_capture_on_commit_callbacks
):
    from bot.chat import conversation_escalate as escalate_again

    conversation = escalate()
    services.conversation_claim(conversation=conversation, agent=agent)
    services.conversation_resolve_by_agent(conversation=conversation, agent=agent)
    conversation.refresh_from_db()

    with django_capture_on_commit_callbacks(execute=True):
        escalate_again(conversation=conversation, reason="customer_wrote_again", reopen=True)

    conversation.refresh_from_db()
    assert conversation.status == "assigned" and conversation.assignment.agent == agent
