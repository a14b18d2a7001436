"""Acceptance of issue 13: one customer walks every path, then nothing of them is left.

The canary, Ottilie Brombeerwurzel, chats on the web (consent, identity, a message
with each of her strings), on Telegram, WhatsApp and Messenger, writes an e-mail with
a file (answered by mail), is escalated, answered,
noted about, has her email revealed (reason code + note), is taught from (approved,
retrained), is sent to a webhook receiver allowed personal data, shows up in the
analytics, confirms her address and asks for her data by e-mail. Her access ZIP must
hold every string and every category of Art. 15; after her erasure neither her
plaintext nor any ciphertext recorded before may remain in the database bytes (SQLite
file + WAL, or `pg_dump` after the vacuum), `var/` (media, models, mail), the logs,
Redis or queued Celery messages. A second customer never sees her strings.

Runs in both suites: embedded (SQLite, filesystem broker) and services (PostgreSQL,
Redis, RabbitMQ). The walk runs its tasks eagerly; the erasure's tasks go through the
broker (the test plays the worker), so their messages are read as queued.
"""

import asyncio
import io
import json
import logging
import os
import quopri
import re
import time
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from agents import services as inbox
from agents.models import AgentProfile
from agents.selectors import suggestion_items
from bot.chat import conversation_rate
from bot.learning import bot_model_train
from bot.models import Conversation
from bot.selectors import analytics_daily, unanswered_topics
from bot.tokens import resume_token_hash
from email_channel.models import MailMessage
from email_channel.services import mailbox_fetch
from event_pipeline.webhooks import webhook_subscription_create
from privacy.logging import PersonalDataRedactingFilter
from privacy.models import AuditEvent, DataSubject
from supportdesk.asgi import application
from tests.bot.channels.conftest import (  # noqa: F401  (fixtures: the fake platforms)
    CUSTOMERS,
    active_channel,  # noqa: F811
    driver,  # noqa: F811
    fake_platforms,
)
from tests.email_channel.mails import (
    PDF_BYTES,
    mail_bytes,
    maildir_deliver,
    maildir_mailbox_create,
)
from tests.event_pipeline.test_webhooks import receiver  # noqa: F401  (the local receiver)
from tests.factories import processor_with_active_agreement

SERVICES = os.environ.get("SUPPORTDESK_TEST_SERVICES") == "1"

NAME = "Ottilie Brombeerwurzel"
SURNAME = "Brombeerwurzel"
EMAIL = "ottilie.brombeerwurzel@example.org"
PHONE = "+49 157 31415926"
IBAN = "DE44 5001 0517 5407 3249 31"
ORDER = "BX-77342291"
STREET = "Holunderstieg 27b"
CITY = "49610 Quakenbrück"
BIRTH = "17.03.1961"
# What she types: each string in a sentence of its own (and one with everything).
MESSAGES = [
    "Was kostet der Versand?",
    f"Guten Tag, hier schreibt {NAME}.",
    f"Meine Telefonnummer ist {PHONE}, meine E-Mail {EMAIL}.",
    f"Bitte erstatten Sie auf meine IBAN {IBAN}.",
    f"Es geht um die Bestellnummer {ORDER}, die nie ankam.",
    f"Ich wohne {STREET}, {CITY}.",
    f"Ich bin am {BIRTH} geboren, falls Sie das brauchen.",
]
# Her strings, searched for whole (short parts occur by chance inside ciphertext).
STRINGS = [NAME, SURNAME, EMAIL, PHONE, IBAN, IBAN.replace(" ", ""), ORDER, STREET, BIRTH]
# Enough of them to show each category in the export (the IBAN in either form).
EXPORTED = [NAME, EMAIL, PHONE, IBAN, ORDER, STREET, BIRTH]

ORIGIN = [(b"origin", b"http://localhost"), (b"host", b"localhost")]
LINK = re.compile(r"https?://\S+?/privacy/(requests/verify|identity/verify|exports)/([\w-]+)/")


def _found(text: str, values=STRINGS) -> list[str]:
    return [
        value
        for value in values
        if re.search(rf"(?<![\w\-+]){re.escape(value)}(?![\w\-])", text, flags=re.IGNORECASE)
    ]


def _found_bytes(data: bytes, needles: list[str]) -> list[str]:
    return [needle for needle in needles if needle.encode() in data]


# Web chat, over the real consumer ----------------------------------------------------------


async def _web_chat(*, name: str, email: str, phone: str, texts: list[str], escalate: bool):
    """A customer on the web chat: consent, identity, `texts`; the frames received."""
    communicator = WebsocketCommunicator(application, "/ws/chat/", headers=ORIGIN)
    # Generous timeouts (the defaults are 1 s): a loaded machine is slow, not wrong.
    connected, _subprotocol = await communicator.connect(timeout=20)
    assert connected
    await communicator.send_json_to({"type": "hello", "conversation": None, "lang": "de"})
    welcome = await communicator.receive_json_from(timeout=10)
    await communicator.send_json_to(
        {
            "type": "consent",
            "accept": True,
            "policy_version": welcome["consent"]["policy_version"],
            # The optional box ticked: she lets the bot learn from her conversation.
            "purposes": ["support_chat", "bot_improvement"],
        }
    )
    assert (await communicator.receive_json_from(timeout=10))["type"] == "consent.accepted"
    await communicator.send_json_to(
        {"type": "identify", "name": name, "email": email, "phone": phone}
    )
    assert (await communicator.receive_json_from(timeout=10))["type"] == "identified"
    frames = []
    for number, text in enumerate(texts):
        await communicator.send_json_to({"type": "message", "id": f"m{number}", "text": text})
        while True:
            frame = await communicator.receive_json_from(timeout=20)
            frames.append(frame)
            if frame.get("type") == "ack" and frame.get("id") == f"m{number}":
                break
    # The messages took tokens from the connection's bucket: a full bucket again for what
    # follows (a refused escalation would leave nothing to check).
    await asyncio.sleep(settings.CHAT_RATE_BURST / settings.CHAT_RATE_PER_SECOND)
    if escalate:
        await communicator.send_json_to({"type": "escalate"})
    # The consumer handles one frame after the other: the answer to a frame it does not
    # know comes after every reply to the last message and the escalation's outcome (a
    # wait on that, not on a second of silence, which a loaded machine outlasts).
    # Every frame takes a token from the connection's bucket: when the messages went fast
    # the barrier itself may be refused as rate_limited (in order too), and is sent again.
    await communicator.send_json_to({"type": "canary.barrier"})
    while (code := (frame := await communicator.receive_json_from(timeout=20)).get("code")) != (
        "unknown_type"
    ):
        if code == "rate_limited":
            await asyncio.sleep(1)
            await communicator.send_json_to({"type": "canary.barrier"})
            continue
        frames.append(frame)
    await communicator.disconnect(timeout=20)
    return welcome["conversation"], frames


# Where bytes are kept ------------------------------------------------------------------------


def _encrypted_values_about_her() -> list[str]:
    """Every Fernet token in any column of any table whose plaintext holds her strings or
    her messenger ids: the ciphertexts recorded before erasure (raw SQL)."""
    from encrypted_model_fields.fields import get_crypter

    crypter = get_crypter()
    ids = set(CUSTOMERS.values())
    found = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            quoted = connection.ops.quote_name(table)
            cursor.execute(f"SELECT * FROM {quoted}")  # noqa: S608  (names from the schema)
            for row in cursor.fetchall():
                for value in row:
                    if not isinstance(value, str) or not value.startswith("gAAAA"):
                        continue
                    try:
                        plain = crypter.decrypt(value.encode()).decode()
                    except Exception:  # noqa: BLE001  (not one of ours: another key, a file)
                        continue
                    if _found(plain) or plain in ids or any(i in plain for i in ids):
                        found.append(value)
    return found


def _rows_as_text() -> str:
    from tests.privacy.test_at_rest import _all_rows_as_text

    return _all_rows_as_text()


def _database_bytes() -> bytes:
    if connection.vendor == "sqlite":
        from tests.privacy.test_erasure_bytes import _sqlite_bytes

        return _sqlite_bytes()
    from tests.privacy.test_erasure_bytes import _pg

    return _pg("pg_dump", connection.settings_dict["NAME"], text=False).stdout


def _postgresql_table_files() -> bytes:
    """The bytes of every table file (and its TOAST file) of the test database, as on disk
    after a checkpoint: dead tuples and freed space included (read as superuser)."""
    with connection.cursor() as cursor:
        cursor.execute("CHECKPOINT")
        cursor.execute(
            "SELECT pg_relation_filepath(c.oid) FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname IN ('public', 'pg_toast') AND c.relkind IN ('r', 't')"
        )
        found = []
        for (path,) in cursor.fetchall():
            cursor.execute("SELECT (pg_stat_file(%s, true)).size", [path])
            if cursor.fetchone()[0]:
                cursor.execute("SELECT pg_read_binary_file(%s)", [path])
                found.append(bytes(cursor.fetchone()[0]))
    return b"\n".join(found)


def _vacuum_counts() -> dict[str, int]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT relname, vacuum_count FROM pg_stat_user_tables "
            "WHERE relname IN ('privacy_datasubject', 'bot_message', 'supportdesk_webhookdelivery')"
        )
        return dict(cursor.fetchall())


def _folder_bytes(folder) -> bytes:
    folder = Path(folder)
    if not folder.exists():
        return b""
    return b"\n".join(p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file())


def _redis_bytes() -> bytes:
    """Every key of the test's Redis db and its serialized value (DUMP covers every type)."""
    if not settings.REDIS_URL:
        return b""
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL)
    try:
        return b"\n".join(key + b"=" + (client.dump(key) or b"") for key in client.scan_iter())
    finally:
        client.close()


def _celery_queue_drain() -> list:
    """Take every message waiting in the broker's default queue (the filesystem folder, or
    RabbitMQ on the test's own vhost): what a worker would be handed."""
    import queue as queue_module

    from supportdesk.celery import app

    taken = []
    with app.connection_for_write() as broker:
        waiting = broker.SimpleQueue(app.conf.task_default_queue, no_ack=True)
        try:
            while True:
                taken.append(waiting.get(block=False))
        except queue_module.Empty:
            pass
        finally:
            waiting.close()
    return taken


def _message_bytes(messages) -> bytes:
    return b"\n".join(
        json.dumps([m.headers, m.properties], default=str).encode()
        + (m.body if isinstance(m.body, bytes) else str(m.body).encode())
        for m in messages
    )


def _run_queued_tasks(*awaited: str) -> list:
    """Play the worker: drain the queue and run each task from its message, until nothing
    more is queued (a task queues the next on commit) and the `awaited` tasks were among
    them (a message published to RabbitMQ may reach the queue a moment after the publish
    returned: wait for it rather than find the queue empty). The messages, as sent."""
    from supportdesk.celery import app

    seen = []
    deadline = time.monotonic() + 60
    while True:
        taken = _celery_queue_drain()
        seen += taken
        for message in taken:
            args, kwargs, _embed = message.decode()
            app.tasks[message.headers["task"]].apply(args=args, kwargs=kwargs).get()
        missing = set(awaited) - {message.headers["task"] for message in seen}
        if not taken and not missing:
            return seen
        if not taken:
            assert time.monotonic() < deadline, f"never queued: {sorted(missing)}"
            time.sleep(0.1)


class _WrittenLog:
    """What the console handler writes (its redaction filter applied), from every logger the
    project configures, at DEBUG."""

    LOGGERS = ("", "django", "daphne", "celery")

    def __init__(self) -> None:
        self.stream = io.StringIO()
        self.handler = logging.StreamHandler(self.stream)
        self.handler.addFilter(PersonalDataRedactingFilter())
        self.handler.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
        self.levels = {}

    def __enter__(self):
        for name in self.LOGGERS:
            logger = logging.getLogger(name)
            self.levels[name] = logger.level
            logger.addHandler(self.handler)
            logger.setLevel(logging.DEBUG)
        return self

    def __exit__(self, *exc):
        for name in self.LOGGERS:
            logger = logging.getLogger(name)
            logger.removeHandler(self.handler)
            logger.setLevel(self.levels[name])

    @property
    def text(self) -> str:
        return self.stream.getvalue()


# The walk ------------------------------------------------------------------------------------


def _mail_links(folder: Path) -> list[tuple[str, str]]:
    # The filebased backend writes the messages quoted-printable (soft line breaks).
    return LINK.findall(quopri.decodestring(_folder_bytes(folder)).decode("utf-8", "replace"))


def _follow(client, kind: str, folder: Path, used: set) -> list:
    """POST every not yet used link of `kind` in the mail folder (the person clicking)."""
    answers = []
    for found_kind, token in _mail_links(folder):
        if found_kind == kind and token not in used:
            used.add(token)
            answers.append(client.post(f"/privacy/{kind}/{token}/"))
    return answers


def _messenger(platform, texts):
    """One messenger customer, with her name as the platform's profile, saying `texts`."""
    first, last = NAME.split()
    for text in texts:
        payload = platform.payload(text)
        if platform.channel == "telegram":
            for person in (payload["message"]["from"], payload["message"]["chat"]):
                person.update(first_name=first, last_name=last)
        elif platform.channel == "whatsapp":
            value = payload["entry"][0]["changes"][0]["value"]
            value["contacts"][0]["profile"]["name"] = NAME
        response = platform.post(payload)
        assert response.status_code == 200, response.content


@pytest.fixture
def tiny_knowledge_base(db):
    """Three intents of twelve questions each: enough to train a model in about a second."""
    from bot.knowledge_base import intent_save
    from tests.bot.test_learning import QUESTIONS

    for slug, questions in QUESTIONS.items():
        intent_save(
            slug=slug,
            titles={"de": slug.replace("_", " ").capitalize()},
            answers={"de": f"Dazu gilt: {slug.replace('_', ' ')}."},
            examples={"de": questions},
        )


@pytest.fixture
def personal_data_receiver(receiver):  # noqa: F811
    hook = receiver()
    processor = processor_with_active_agreement()
    webhook_subscription_create(
        name="CRM",
        url=hook.url,
        events=["message.created", "conversation.resolved"],
        include_personal_data=True,
        processor=processor,
    )
    return hook


@pytest.mark.django_db(transaction=True)
def test_the_canary_walks_every_path_is_exported_whole_and_erased_without_a_trace(
    settings,
    tmp_path,
    policies,
    tiny_knowledge_base,
    queue,
    agent,
    celery_eager,
    caplog,
    client,
    driver,  # noqa: F811
    active_channel,  # noqa: F811
    personal_data_receiver,
    django_capture_on_commit_callbacks,
):
    from tests.factories import UserFactory

    started = time.time()
    caplog.set_level(logging.DEBUG)
    mail_folder = tmp_path / "mail"
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "OPTIONS": {"file_path": str(mail_folder)},
        }
    }
    settings.ERASURE_LEDGER_PATH = str(tmp_path / "erasure-ledger.jsonl")
    settings.CHAT_IDENTITY_FIELDS = ["name", "email", "phone"]
    AgentProfile.objects.update_or_create(user=agent, defaults={"display_name": "Jana"})
    queue.language = ""
    queue.save()
    supervisor = UserFactory(role="supervisor")
    staff_client = client.__class__()
    used_links: set = set()

    with _WrittenLog() as written:
        # 1. Web chat: consent, identity, each string, then escalation.
        token, _frames = async_to_sync(_web_chat)(
            name=NAME, email=EMAIL, phone=PHONE, texts=MESSAGES, escalate=True
        )
        conversation = Conversation.objects.get(resume_token_hash=resume_token_hash(token))
        assert conversation.escalated_at is not None

        # 2. The messengers: the same person, her strings again (she lets the bot learn
        # from these chats too: VERBESSERN, the optional purpose).
        for channel in ("telegram", "whatsapp", "messenger"):
            active_channel(channel)
            _messenger(
                driver(channel),
                ["Hallo", "JA", "VERBESSERN", NAME, EMAIL, PHONE, MESSAGES[2], MESSAGES[3]],
            )

        # 2b. E-mail: she writes to the queue's mailbox with her strings and a file, and
        # the agent's answer goes out by mail.
        mailbox = maildir_mailbox_create(queue=queue, folder=tmp_path / "Maildir")
        maildir_deliver(
            mailbox,
            mail_bytes(
                sender=f"{NAME} <{EMAIL}>",
                subject=f"Bestellnummer {ORDER}",
                text="\n".join(MESSAGES[1:]),
                attachments=[(f"Rechnung {SURNAME}.pdf", "application/pdf", PDF_BYTES)],
            ),
        )
        with django_capture_on_commit_callbacks(execute=True):
            assert mailbox_fetch(mailbox_id=mailbox.pk)["stored"] == 1
        mailed = Conversation.objects.get(channel=Conversation.Channel.EMAIL)
        with django_capture_on_commit_callbacks(execute=True):
            inbox.conversation_reply(
                conversation=mailed, agent=agent, text=f"Guten Tag Frau {SURNAME}, zu {ORDER}."
            )
        assert MailMessage.objects.get(direction="outbound").status == "sent"

        # 3. She proves her address by the e-mailed links: every claim joins one subject.
        assert all(
            a.status_code == 200
            for a in _follow(client, "identity/verify", mail_folder, used_links)
        )
        subject = DataSubject.objects.get(email_verified_at__isnull=False)
        assert Conversation.objects.filter(subject=subject).count() == 4

        # 4. The agent: routed, claimed, viewed, replied, noted, email revealed, taught.
        conversation = Conversation.objects.get(pk=conversation.pk)
        if not hasattr(conversation, "assignment"):
            with django_capture_on_commit_callbacks(execute=True):
                inbox.assignment_route(conversation_id=conversation.pk)
        conversation = Conversation.objects.get(pk=conversation.pk)
        with django_capture_on_commit_callbacks(execute=True):
            inbox.conversation_claim(conversation=conversation, agent=agent)
            inbox.conversation_view_record(conversation=conversation, acting_user=agent)
            inbox.conversation_reply(
                conversation=conversation,
                agent=agent,
                text=f"Guten Tag Frau {SURNAME}, die Erstattung für {ORDER} geht auf {IBAN}.",
            )
            inbox.note_add(
                conversation=conversation,
                author=agent,
                text=f"{NAME}, {STREET}, geb. {BIRTH}, Tel. {PHONE}",
            )
            inbox.subject_email_reveal(
                conversation=conversation,
                acting_user=agent,
                reason_code=AuditEvent.Reason.ORDER_LOOKUP,
                note=f"Frau {NAME} bat um Rückruf wegen Bestellnummer {ORDER}",
            )
            teaching = inbox.teaching_create(
                conversation=conversation,
                agent=agent,
                proposed_title=f"Erstattung für {NAME} (Bestellnummer {ORDER})",
                proposed_slug=f"erstattung-{SURNAME.lower()}",
                proposed_answer=f"Liebe Frau {SURNAME}, die Erstattung ist unterwegs.",
            )
            inbox.teaching_approve(teaching=teaching, acting_user=supervisor)
            inbox.conversation_resolve_by_agent(conversation=conversation, agent=agent)
        conversation_rate(conversation=Conversation.objects.get(pk=conversation.pk), score=4)
        model = bot_model_train(language="de", force=True)
        assert model is not None

        # 5. Analytics, as staff read them.
        today = timezone.localdate()
        analytics = [
            analytics_daily(since=today - timedelta(days=1), until=today),
            unanswered_topics(since=today - timedelta(days=1), until=today),
        ]
        staff_client.force_login(supervisor)
        pages = [
            staff_client.get(reverse("agents:analytics")),
            staff_client.get(reverse("api:analytics-daily")),
        ]
        assert [page.status_code for page in pages] == [200, 200]

        # 6. The second customer: the bot's answers and the agents' suggestions.
        _token, second_frames = async_to_sync(_web_chat)(
            name="Bruno Zweitkunde",
            email="bruno@example.net",
            phone="+49 30 1234567",
            texts=["Was kostet der Versand?", "Wo bleibt meine Erstattung?"],
            escalate=False,
        )
        suggestions = [
            suggestion_items(question=question, language="de", limit=10)
            for question in ("Wo bleibt meine Erstattung?", "Erstattung Bestellung Rückruf")
        ]
        seen_by_others = json.dumps(
            [second_frames, suggestions, analytics], default=str, ensure_ascii=False
        ) + "".join(page.content.decode() for page in pages)
        assert _found(seen_by_others) == []
        # (what they saw is real: a bot answer, the taught intent among the suggestions,
        # her escalated questions clustered into topics, redacted)
        assert any(f.get("type") == "message" and f.get("from") == "bot" for f in second_frames)
        assert "erstattung" in str(suggestions).lower() and "[NAME]" in str(suggestions)
        assert "[PHONE]" in str(analytics[1]) and "[NAME]" in str(analytics[1])

        # 7. Her access request by e-mail, confirmed by the link; the export by its link.
        assert client.post(
            reverse("privacy:request-create"), {"kind": "access", "email": EMAIL}
        ).status_code in (200, 302)
        assert [
            a.status_code for a in _follow(client, "requests/verify", mail_folder, used_links)
        ] == [200]
        [(_kind, export_token)] = [
            link for link in _mail_links(mail_folder) if link[0] == "exports"
        ]
        download = client.get(f"/privacy/exports/{export_token}/")
        assert download.status_code == 200, download.content[:500]
        archive = zipfile.ZipFile(io.BytesIO(download.content))
        data_json = archive.read("data.json").decode()
        report = archive.read("report.html").decode()

    # The export holds every string, in data.json and in the readable report.
    assert _found(data_json, EXPORTED) == EXPORTED
    assert _found(report, EXPORTED) == EXPORTED
    data = json.loads(data_json)["data"]
    conversations = data["bot.conversations"]["conversations"]
    assert len(conversations) == 4
    # Her mail (a claim to her address, hers once she proved it) with its file and our reply.
    mails = data["email_channel"]
    assert _found(json.dumps(mails["mails"], ensure_ascii=False), [NAME, PHONE, IBAN, ORDER])
    assert [m["direction"] for m in mails["mails"]] == ["inbound", "outbound"]
    assert [a["file_name"] for a in mails["attachments"]] == [f"Rechnung {SURNAME}.pdf"]
    handled = next(c for c in conversations if c["resolved_at"])
    assert handled["escalation_reason"] and handled["rating"] == 4
    assert any(
        m["from"] == "bot" and m.get("intent") and m.get("confidence") is not None
        for c in conversations
        for m in c["messages"]
    )
    agents_part = data["agents.internal_notes"]
    assert agents_part["handling"][0]["agent"] == "Jana" and agents_part["handling"][0]["queue"]
    assert agents_part["teachings"] and _found(str(agents_part["teachings"])) == []
    trail = data["privacy.data_subject"]["audit_trail"]
    assert {"conversation.claimed", "subject.email_revealed", "teaching.created"} <= {
        event["action"] for event in trail
    }
    # the reveal's reason: its code, and the note redacted (her name and order number out)
    [revealed] = [event for event in trail if event["action"] == "subject.email_revealed"]
    assert revealed["reason_code"] == AuditEvent.Reason.ORDER_LOOKUP
    assert "[NAME]" in json.dumps(revealed, ensure_ascii=False)
    assert _found(json.dumps(revealed, ensure_ascii=False)) == []
    assert "Hat Ihre E-Mail-Adresse angesehen" in report and "127.0.0.1" in report
    deliveries = data["supportdesk.webhooks"]["webhook_deliveries"]
    assert {d["receiver_host"] for d in deliveries} == {"127.0.0.1"}
    assert {p["platform"] for p in data["bot.channels"]["messenger_platforms"]} == {
        "telegram",
        "whatsapp",
        "messenger",
    }
    for heading in (
        "Ihre Gespräche",
        "Wer Ihre Gespräche bearbeitet hat",
        "Wer mit Ihren Daten gearbeitet hat (Audit-Protokoll)",
        "Was dem Bot aus Ihren Fragen beigebracht wurde",
        "Empfänger: Messenger-Plattformen",
        "Ihre E-Mails und Anhänge",
        "Empfänger: Systeme, die unsere Webhooks benachrichtigt haben",
    ):
        assert heading in report
    # The webhook receiver did get her text (it is allowed personal data).
    assert _found(b"".join(body for _h, body in personal_data_receiver.requests).decode())

    # Before erasure: what is recorded about her, as stored.
    ciphertexts = _encrypted_values_about_her()
    assert len(ciphertexts) >= 10
    media = Path(settings.MEDIA_ROOT)
    encrypted_files = [
        p.read_bytes()[100:164].decode()
        for p in media.rglob("*")
        if p.is_file() and p.stat().st_mtime >= started and p.read_bytes()[:5] == b"gAAAA"
    ]
    needles = ciphertexts + encrypted_files
    # Each place looked at below holds her data now (or could): the probes have teeth.
    assert _found_bytes(_database_bytes(), ciphertexts) == ciphertexts
    assert encrypted_files and list(media.glob("models/*.model"))
    assert EMAIL in quopri.decodestring(_folder_bytes(mail_folder)).decode()
    assert "bot.channels" in written.text and "celery" in written.text
    if settings.REDIS_URL:
        assert _redis_bytes(), "the test's Redis db holds keys (cache, counters)"

    # Before erasure too, nothing of hers is stored in plaintext (encrypted, or redacted).
    at_rest = _database_bytes().decode("latin-1") + _rows_as_text()
    assert _found(at_rest) == []
    vacuumed_before = _vacuum_counts() if connection.vendor == "postgresql" else {}

    # When she asks for erasure by e-mail and confirms it; its tasks go through the broker.
    from supportdesk.celery import app

    _celery_queue_drain()  # whatever an earlier run left
    app.conf.task_always_eager = False
    try:
        with _WrittenLog() as written_erasure:
            client.post(reverse("privacy:request-create"), {"kind": "erasure", "email": EMAIL})
            queued = _run_queued_tasks(  # the confirmation mail
                "privacy.tasks.data_request_verification_send_task"
            )
            assert [
                a.status_code for a in _follow(client, "requests/verify", mail_folder, used_links)
            ] == [200]
            # the erasure (and on PostgreSQL the vacuum)
            queued += _run_queued_tasks(
                "privacy.tasks.data_request_process_task",
                *(
                    ["privacy.tasks.database_compact_task"]
                    if connection.vendor == "postgresql"
                    else []
                ),
            )
    finally:
        app.conf.task_always_eager = True
    assert {"privacy.tasks.data_request_process_task"} <= {m.headers["task"] for m in queued}
    assert not DataSubject.objects.filter(pk=subject.pk).exists()

    if connection.vendor == "postgresql":  # the vacuum task ran before pg_dump is read
        after = _vacuum_counts()
        assert all(after[table] > count for table, count in vacuumed_before.items()), after

    # Then nothing: neither plaintext nor a ciphertext recorded before, anywhere.
    places = {
        "database": _database_bytes(),
        "media and models": _folder_bytes(media),
        "mail": _folder_bytes(mail_folder),
        "erasure ledger": Path(settings.ERASURE_LEDGER_PATH).read_bytes(),
        "written logs": (written.text + written_erasure.text).encode(),
        "captured log records": caplog.text.encode(),
        "redis": _redis_bytes(),
        "celery messages queued by the erasure": _message_bytes(queued),
        "celery messages still queued": _message_bytes(_celery_queue_drain()),
    }
    left = {
        place: _found(data.decode("utf-8", "replace")) + _found_bytes(data, needles)
        for place, data in places.items()
    }
    assert left == dict.fromkeys(places, [])


# PostgreSQL's table files, below what pg_dump shows ---------------------------------------


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "vacuum_full",
    [
        pytest.param(
            False,
            marks=pytest.mark.xfail(
                strict=True,
                reason="leak: with the default PRIVACY_VACUUM_FULL=False, plain VACUUM frees "
                "the erased tuples but leaves their bytes (the ciphertexts) in the table "
                "files of privacy_datasubject and bot_message (in the canary also "
                "supportdesk_webhookdelivery) while other customers' rows share the pages; "
                "they stay until the space is reused",
            ),
        ),
        True,
    ],
)
def test_after_the_vacuum_the_postgresql_table_files_hold_nothing_of_her(
    settings, tmp_path, policies, agent, celery_eager, vacuum_full
):
    from bot.services import message_append
    from privacy.services import subject_erase
    from privacy.services.erasure import database_compact
    from tests.factories import ConversationFactory, known_subject
    from tests.privacy.test_erasure_bytes import _ciphertexts, _seed

    settings.ERASURE_LEDGER_PATH = str(tmp_path / "erasure-ledger.jsonl")
    settings.PRIVACY_VACUUM_FULL = vacuum_full
    subject = _seed()
    # and a customer who stays, whose rows share the pages (so they are not truncated away)
    other = known_subject(name="Bruno Bleibt", email="bruno.bleibt@example.org")
    message_append(conversation=ConversationFactory(subject=other), sender="customer", text="Hallo")
    ciphertexts = _ciphertexts(subject)
    assert _found_bytes(_postgresql_table_files(), ciphertexts) == ciphertexts

    subject_erase(subject=subject, acting_user=agent, reason="request")
    # VACUUM FULL keeps a deleted row that a transaction begun before the erasure might
    # still see, and its own snapshot counts the transactions of every database in the
    # cluster (another test run's, for one): once they ended, the compact (which repeats
    # harmlessly) is run again.
    _transactions_begun_before_now_ended()
    database_compact()

    assert _found_bytes(_postgresql_table_files(), ciphertexts) == []


def _transactions_begun_before_now_ended(timeout: float = 180) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT clock_timestamp()")
        [(now,)] = cursor.fetchall()
        deadline = time.monotonic() + timeout
        while True:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE pid <> pg_backend_pid() "
                "AND xact_start < %s AND (backend_xid IS NOT NULL OR backend_xmin IS NOT NULL)",
                [now],
            )
            [(running,)] = cursor.fetchall()
            if not running:
                return
            assert time.monotonic() < deadline, f"{running} transactions still running"
            time.sleep(0.1)


@pytest.mark.django_db(transaction=True)
def test_an_order_number_in_an_agents_reply_is_not_stored_in_plaintext(escalate_one, agent):
    conversation = escalate_one()

    inbox.conversation_claim(conversation=conversation, agent=agent)
    inbox.conversation_reply(
        conversation=conversation,
        agent=agent,
        text=f"Guten Tag Frau {SURNAME}, die Erstattung für {ORDER} geht auf {IBAN}.",
    )

    assert _found(_rows_as_text()) == []


@pytest.fixture
def escalate_one(queue, policies, tiny_knowledge_base, django_capture_on_commit_callbacks):
    def make():
        from bot.chat import conversation_escalate
        from bot.services import message_append
        from tests.factories import ConsentRecordFactory, ConversationFactory

        conversation = ConversationFactory(consent=ConsentRecordFactory())
        message_append(conversation=conversation, sender="customer", text="Paket weg?")
        conversation_escalate(conversation=conversation, reason="customer_request")
        with django_capture_on_commit_callbacks(execute=True):
            inbox.assignment_route(conversation_id=conversation.pk)
        return Conversation.objects.get(pk=conversation.pk)

    return make
