"""Demo data for `make run`: staff with their roles, two queues, the demo shop's
knowledge base, demo customers with a conversation each (one waiting escalated
conversation per queue, for the inbox, and a call back asked for from the chat), and canned
responses. Idempotent."""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from agents.models import AgentProfile, CannedResponse, Queue
from bot.chat import chat_consent_give, conversation_escalate
from bot.follow_ups import follow_up_request
from bot.knowledge_base import DEMO_KNOWLEDGE_BASE, knowledge_base_import_file
from bot.models import Conversation, FollowUp, Message
from bot.services import conversation_resolve, conversation_start, message_append
from privacy.crypto import email_blind_index
from privacy.models import ConsentRecord, DataSubject, PolicyVersion
from privacy.services import (
    consent_link_subject,
    data_subject_identify,
    notice_facts,
    notice_render,
    subject_verified_by_index,
)
from staff import roles


@dataclass(frozen=True)
class DemoLogin:
    username: str
    password: str
    role: str
    display_name: str
    queue_slugs: tuple[str, ...] = ()


DEMO_LOGINS = (
    DemoLogin("admin", "admin-demo-2026", roles.ADMIN, "Admin"),
    DemoLogin("anna", "agent-demo-2026", roles.AGENT, "Anna", ("kundenservice-de",)),
    DemoLogin("ben", "agent-demo-2026", roles.AGENT, "Ben", ("customer-service-en",)),
    DemoLogin("sofia", "supervisor-demo-2026", roles.SUPERVISOR, "Sofia"),
    DemoLogin("datenschutz", "privacy-demo-2026", roles.PRIVACY_OFFICER, "Datenschutz"),
)
DEMO_QUEUES = (
    ("kundenservice-de", "Kundenservice (Deutsch)", "de"),
    ("customer-service-en", "Customer service (English)", "en"),
)
# Fictional customers; tests/privacy/test_at_rest.py checks none of this is stored in plaintext.
DEMO_SUBJECTS = (
    {
        "name": "Erika Mustermann",
        "email": "erika.mustermann@example.org",
        "phone": "+49 171 2345678",
        "language": "de",
        "messages": [
            ("customer", "Hallo, ich bin Erika Mustermann. Wo ist meine Bestellung?"),
            ("bot", "Den Status Ihrer Bestellung sehen Sie unter /account/orders."),
            ("customer", "Bitte ruft mich an: +49 171 2345678 oder erika.mustermann@example.org"),
            ("agent", "Gern, wir melden uns noch heute."),
        ],
    },
    {
        "name": "John Sample",
        "email": "john.sample@example.com",
        "phone": "+44 20 7946 0958",
        "language": "en",
        "messages": [
            ("customer", "Hi, John Sample here, I want to return a jacket."),
            ("bot", "You can return items within 30 days free of charge."),
        ],
    },
    # Waiting in the inbox: one escalated conversation per demo queue.
    {
        "name": "Lena Schmidt",
        "email": "lena.schmidt@example.net",
        "phone": "+49 160 9876543",
        "language": "de",
        "escalate": "customer_request",
        "messages": [
            ("customer", "Hallo, hier ist Lena Schmidt. Mein Paket kam beschädigt an."),
            ("customer", "Ich möchte bitte mit einem Mitarbeiter sprechen."),
        ],
    },
    {
        "name": "Oliver Brown",
        "email": "oliver.brown@example.com",
        "phone": "+44 161 496 0321",
        "language": "en",
        "escalate": "low_confidence",
        "messages": [
            ("customer", "My discount code from the newsletter is rejected at checkout."),
        ],
    },
    # A call back asked for from the chat (bot.follow_ups): a task in the German queue.
    {
        "name": "Mia Weber",
        "email": "mia.weber@example.org",
        "phone": "+49 151 23456789",
        "language": "de",
        "follow_up": "morning",
        "messages": [
            ("customer", "Kann mich bitte jemand vom Support zurückrufen?"),
            (
                "bot",
                "Gern melden wir uns bei Ihnen, telefonisch oder per E-Mail, auch wenn Sie uns "
                "außerhalb der Servicezeiten schreiben.",
            ),
        ],
    },
)
# (queue slug or None for everyone, title, text); {name} and {agent} are filled in the inbox.
DEMO_CANNED_RESPONSES = (
    (
        "kundenservice-de",
        "Begrüßung",
        "Hallo {name}, hier ist {agent} vom Kundenservice. Ich kümmere mich um Ihr Anliegen.",
    ),
    (
        "kundenservice-de",
        "Beschädigte Lieferung",
        "Das tut uns leid, {name}. Schicken Sie uns bitte ein Foto des Schadens; "
        "wir senden Ihnen kostenlos Ersatz.",
    ),
    (
        "customer-service-en",
        "Greeting",
        "Hi {name}, this is {agent} from customer service. I am looking into it now.",
    ),
    (None, "Goodbye (English)", "Thank you, {name}. Have a nice day! {agent}"),
)


DEMO_POLICIES = {
    "de": {
        "title": "Datenschutzhinweise zum Kundenservice-Chat",
        "summary": (
            "Für die Bearbeitung Ihrer Anfrage verarbeiten wir Ihren Namen, Ihre E-Mail-Adresse "
            "und den Inhalt des Gesprächs (Art. 6 Abs. 1 lit. a DSGVO). Gesprächsinhalte ohne "
            "personenbezogene Daten nutzen wir, um den Chatbot zu verbessern. Nach Abschluss "
            "Ihres Anliegens löschen wir die Daten gemäß unseren Löschfristen. Sie können Ihre "
            "Einwilligung jederzeit im Chat widerrufen."
        ),
        "text": (
            "Verantwortlich: Nordlicht Shop GmbH (Demo).\n\n"
            "Welche Daten: Name, E-Mail-Adresse, Inhalt des Gesprächs.\n\n"
            "Zweck und Rechtsgrundlage: Beantwortung Ihrer Anfrage, Einwilligung nach "
            "Art. 6 Abs. 1 lit. a DSGVO. Verbesserung des Chatbots mit Gesprächsinhalten, aus "
            "denen personenbezogene Daten entfernt wurden.\n\n"
            "Speicherdauer: bis zum Abschluss Ihres Anliegens und der konfigurierten "
            "Löschfrist.\n\n"
            "Ihre Rechte: Auskunft, Berichtigung, Löschung, Einschränkung, Datenübertragbarkeit, "
            "Widerruf der Einwilligung jederzeit, Beschwerde bei einer Aufsichtsbehörde."
        ),
    },
    "en": {
        "title": "Privacy notice for the customer service chat",
        "summary": (
            "To handle your request we process your name, your email address and the content "
            "of the conversation (Art. 6(1)(a) GDPR). Conversation content without personal "
            "data is used to improve the chatbot. Once your request is settled the data is "
            "deleted according to our retention periods. You can withdraw your consent at any "
            "time in the chat."
        ),
        "text": (
            "Controller: Nordlicht Shop GmbH (demo).\n\n"
            "Which data: name, email address, content of the conversation.\n\n"
            "Purpose and legal basis: answering your request, consent under Art. 6(1)(a) GDPR. "
            "Improving the chatbot with conversation content from which personal data has been "
            "removed.\n\n"
            "Retention: until your request is settled and the configured retention period ends.\n\n"
            "Your rights: access, rectification, erasure, restriction, portability, withdrawal "
            "of consent at any time, complaint to a supervisory authority."
        ),
    },
}


@transaction.atomic
def demo_data_create() -> None:
    for language, policy in DEMO_POLICIES.items():
        # The full text is the notice Supportdesk generates from its own configuration.
        PolicyVersion.objects.update_or_create(
            language=language,
            version="2026-11",
            defaults={
                **policy,
                "text": notice_render(language=language),
                "covered_facts": notice_facts(),
                "is_active": True,
            },
        )
    queues = {
        slug: Queue.objects.update_or_create(slug=slug, defaults={"name": name, "language": lang})[
            0
        ]
        for slug, name, lang in DEMO_QUEUES
    }
    User = get_user_model()
    for login in DEMO_LOGINS:
        user, created = User.objects.get_or_create(username=login.username)
        if created:
            user.set_password(login.password)
        user.is_staff = True
        user.is_superuser = login.role == roles.ADMIN
        user.save()
        user.groups.add(Group.objects.get(name=login.role))
        AgentProfile.objects.get_or_create(user=user, defaults={"display_name": login.display_name})
        for slug in login.queue_slugs:
            queues[slug].members.add(user)
    knowledge_base_import_file(path=DEMO_KNOWLEDGE_BASE)
    agent = User.objects.get(username="anna")
    for demo in DEMO_SUBJECTS:
        if subject_verified_by_index(email_index=email_blind_index(demo["email"])):
            continue
        subject = data_subject_identify(name=demo["name"], email=demo["email"], phone=demo["phone"])
        # Demo customers are known ones: as if staff had checked who they are.
        DataSubject.objects.filter(pk=subject.pk).update(
            email_verified_at=timezone.now(), email_verified_via=DataSubject.VerifiedVia.STAFF
        )
        conversation, _token = conversation_start(
            channel=Conversation.Channel.WEB, language=demo["language"]
        )
        # They ticked improving the bot too, so the demo can show teaching from them.
        consent = chat_consent_give(
            conversation=conversation,
            policy_version="2026-11",
            purposes=[ConsentRecord.Purpose.BOT_IMPROVEMENT],
        )
        consent_link_subject(record=consent, subject=subject)
        conversation.subject = subject
        conversation.save(update_fields=["subject", "updated_at"])
        for sender, text in demo["messages"]:
            message_append(
                conversation=conversation,
                sender=sender,
                text=text,
                sender_user=agent if sender == Message.Sender.AGENT else None,
            )
        if demo.get("follow_up"):
            # The form the bot links to, as the customer would send it; queues the task.
            follow_up_request(
                conversation=conversation,
                method=FollowUp.Method.PHONE,
                contact=demo["phone"],
                preferred_time=demo["follow_up"],
                policy_version="2026-11",
                language=demo["language"],
            )
        elif demo.get("escalate"):
            # Routed to its queue by the agents' escalation listener after commit.
            conversation_escalate(conversation=conversation, reason=demo["escalate"])
        else:
            conversation_resolve(conversation=conversation)
    for slug, title, text in DEMO_CANNED_RESPONSES:
        CannedResponse.objects.get_or_create(
            title=title, queue=queues[slug] if slug else None, owner=None, defaults={"text": text}
        )
