"""Key rotation as an operator runs it: every encrypted value and file, the status report,
and what the product does while a key is missing (issue 25)."""

import io
import re
import zipfile

import pytest
from cryptography.fernet import Fernet
from django.contrib import admin
from django.core import mail
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from agents.services import note_add
from bot.channels.tasks import delivery_send_task
from bot.chat import conversation_escalate
from bot.models import (
    ChannelConversation,
    ChannelDelivery,
    ChannelIdentity,
    Conversation,
    FollowUp,
)
from bot.services import message_append
from email_channel.models import Attachment
from email_channel.services import mail_receive
from event_pipeline.models import OutboxEvent, WebhookDelivery
from event_pipeline.webhooks import webhook_event_emit, webhook_subscription_create
from privacy.models import DataRequest, ProcessingAgreement
from privacy.services import data_export_build, data_request_create, data_subject_identify
from privacy.services.keys import encryption_status_compute
from staff import roles
from staff.models import EncryptedTOTPDevice
from tests.bot.channels.conftest import (  # noqa: F401  (fixtures)
    active_channel,
    agreement_create,
    driver,
    fake_platforms,
)
from tests.email_channel.mails import PDF_BYTES, mail_bytes, maildir_mailbox_create
from tests.event_pipeline.test_webhooks import receiver  # noqa: F401  (fixture)
from tests.factories import QueueFactory, UserFactory

OLD = Fernet.generate_key().decode()
NEW = Fernet.generate_key().decode()


@pytest.fixture
def keys(settings, tmp_path):
    """keys(OLD) / keys(NEW, OLD): the key list, as a restart with a new environment."""
    settings.MEDIA_ROOT = tmp_path / "media"

    def use(*key_list: str) -> None:
        settings.FIELD_ENCRYPTION_KEY = list(key_list)

    return use


@pytest.fixture
def filled(
    keys,
    active_channel,  # noqa: F811
    driver,  # noqa: F811
    receiver,  # noqa: F811
    django_capture_on_commit_callbacks,
    celery_eager,
    policies,
    tmp_path,
):
    """Under the old key: a value in every encrypted field of every model, and a file in
    every encrypted file store. Returns what the checks afterwards need."""
    keys(OLD)
    active_channel("telegram")
    telegram = driver("telegram")
    telegram.say("Hallo, wo ist mein Paket?")
    telegram.say("JA")
    telegram.say("Erika Mustermann")
    identity = ChannelIdentity.objects.get()
    identity.phone, identity.profile_name = "+49 151 1234567", "Erika Mustermann"
    identity.save()
    link = ChannelConversation.objects.get()
    link.identity_draft = '{"name": "Erika"}'
    link.save()
    conversation = link.conversation
    message_append(conversation=conversation, sender="customer", text="Wo ist mein Paket?")
    subject = data_subject_identify(name="Erika M", email="erika@example.org", phone="030 1234")
    hook = receiver()
    webhook_subscription_create(name="crm", url=hook.url, events=["dsar.completed"])
    staff = UserFactory(is_superuser=True, role=roles.SUPERVISOR)
    EncryptedTOTPDevice.objects.create(user=staff, name="Authenticator app", confirmed=True)
    note_add(conversation=conversation, author=staff, text="Ruft morgen zurück")
    FollowUp.objects.create(
        conversation=conversation, method=FollowUp.Method.PHONE, contact="030 1234"
    )
    # An outbox event a crashed process left undispatched (its frame holds the note).
    OutboxEvent.objects.create(
        kind="test", actions=[["group", "conversation_x", {"text": "Ruft morgen zurück"}]]
    )
    # E-mail: a mailbox's IMAP credentials, a mail with a file, and a reply by mail.
    mailbox = maildir_mailbox_create(
        queue=QueueFactory(members=[staff]),
        folder=tmp_path / "Maildir",
        imap_user="support",
        imap_password="imap-secret",
    )
    mail_receive(
        mailbox=mailbox, raw=mail_bytes(attachments=[("beleg.pdf", "application/pdf", PDF_BYTES)])
    )
    message_append(
        conversation=Conversation.objects.get(channel="email"), sender="agent", text="Antwort"
    )
    agreement = agreement_create("web")
    agreement.signed_document.save("vertrag.pdf", ContentFile(b"%PDF-1.4 signed"))
    with django_capture_on_commit_callbacks(execute=True):
        data_request_create(kind="access", email="erika@example.org", created_by=None)
        pending = data_request_create(kind="access", email="erika@example.org", created_by=None)
    request = DataRequest.objects.exclude(pk=pending.pk).get()
    request.status, request.subject = DataRequest.Status.VERIFIED, subject
    request.save(update_fields=["status", "subject"])  # building locks the stored row
    with django_capture_on_commit_callbacks(execute=True):
        data_export_build(request=request)
    download = re.search(r"(/privacy/exports/[^/\s]+/)", mail.outbox[-1].body).group(1)

    # Every field and store holds something, so the test covers what is (and will be)
    # encrypted; a model added with an encrypted field must be filled here too.
    empty = [entry.name for entry in encryption_status_compute().entries if entry.total == 0]
    assert empty == []
    return {
        "conversation": conversation,
        "driver": telegram,
        "staff": staff,
        "agreement": agreement,
        "download": download,
        "hook": hook,
        "pending_request": pending,
        "attachment": Attachment.objects.get(),
    }


def _admin_pages(client: Client) -> list[tuple[str, int]]:
    """(url, status) of every registered admin's changelist and of one change page each."""
    pages = []
    for model, model_admin in admin.site._registry.items():
        info = (model._meta.app_label, model._meta.model_name)
        try:
            changelist = reverse("admin:{}_{}_changelist".format(*info))
        except NoReverseMatch:
            continue
        pages.append((changelist, client.get(changelist).status_code))
        obj = model_admin.get_queryset(client.request().wsgi_request).first()
        if obj is not None:
            change = reverse("admin:{}_{}_change".format(*info), args=[obj.pk])
            pages.append((change, client.get(change).status_code))
    return pages


@pytest.mark.django_db(transaction=True)
def test_rotate_then_drop_the_old_key_and_everything_still_works(
    filled, keys, django_capture_on_commit_callbacks, celery_eager
):
    # given the new key in front of the old one (a restart with both)
    keys(NEW, OLD)

    # then the status names what is left, and exits non-zero
    with pytest.raises(CommandError) as left:
        call_command("encryption_status", stdout=io.StringIO())
    for name in (
        "bot.ChannelConfig.access_token",
        "event_pipeline.WebhookSubscription.secret",
        "privacy.ProcessingAgreement.signed_document",
        "privacy.DataExport (archives)",
    ):
        assert f"{name}: 1 under key 1" in str(left.value)
    # the chat's identity and the mail's sender (a claim of its own)
    assert "privacy.DataSubject.email: 2 under key 1" in str(left.value)

    # when the rotation runs (in small batches, with progress) and the old key goes
    out = io.StringIO()
    call_command("rotate_encryption_keys", batch_size=1, stdout=out)
    assert "privacy.ProcessingAgreement.signed_document: 1 re-encrypted" in out.getvalue()
    assert "bot.ChannelConfig: 1 checked" in out.getvalue()
    keys(NEW)

    # then the status exits 0
    status = io.StringIO()
    call_command("encryption_status", stdout=status)
    assert "Everything is under the newest key" in status.getvalue()

    # every admin changelist and change page renders
    staff = Client(HTTP_ACCEPT_LANGUAGE="en")
    staff.force_login(filled["staff"])
    failing = [(url, code) for url, code in _admin_pages(staff) if code != 200]
    assert failing == []

    # the agreement document downloads through the audited view
    agreement = filled["agreement"]
    document = staff.get(reverse("privacy:agreement-document", args=[agreement.pk]))
    assert document.status_code == 200 and document.content == b"%PDF-1.4 signed"

    # a mail's attachment downloads through the audited view
    attachment = filled["attachment"]
    download = staff.get(reverse("email_channel:attachment_download", args=[attachment.public_id]))
    assert b"".join(download.streaming_content) == PDF_BYTES

    # the inbox and the conversation page
    conversation = filled["conversation"]
    conversation_escalate(conversation=conversation, reason="customer_request")
    assert staff.get("/inbox/").status_code == 200
    assert staff.get(f"/inbox/c/{conversation.public_id}/").status_code == 200

    # a messenger webhook, and the bot's answer delivered to the customer
    telegram = filled["driver"]
    before = len(telegram.replies())
    telegram.say("Noch eine Frage")
    message_append(conversation=conversation, sender="agent", text="Ist unterwegs.")
    delivery = ChannelDelivery.objects.filter(message__isnull=False).latest("pk")
    delivery_send_task.delay(delivery.pk)
    assert ChannelDelivery.objects.get(pk=delivery.pk).status == ChannelDelivery.Status.SENT
    assert len(telegram.replies()) > before

    # a webhook delivery, signed with the rotated secret
    with django_capture_on_commit_callbacks(execute=True):
        webhook_event_emit(event="dsar.completed", payload={"request": "x", "kind": "access"})
    assert WebhookDelivery.objects.latest("created_at").status == "delivered"
    assert filled["hook"].requests

    # the export download
    archive = staff.get(filled["download"])
    assert archive.status_code == 200
    assert zipfile.ZipFile(io.BytesIO(archive.content)).read("data.json")


@pytest.mark.django_db(transaction=True)
def test_a_second_rotation_changes_nothing_and_files_keep_their_content(filled, keys, settings):
    keys(NEW, OLD)
    first = call_command("rotate_encryption_keys", stdout=io.StringIO())
    path = filled["agreement"].signed_document.path
    stored = open(path, "rb").read()

    out = io.StringIO()
    call_command("rotate_encryption_keys", stdout=out)

    assert first is None
    assert "privacy.ProcessingAgreement.signed_document: 0 re-encrypted" in out.getvalue()
    assert open(path, "rb").read() == stored
    keys(NEW)
    assert filled["agreement"].signed_document.open("rb").read() == b"%PDF-1.4 signed"


# While a key is missing ---------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_with_the_old_key_dropped_too_early_nothing_answers_500(filled, keys, caplog):
    # given the old key removed before any rotation
    keys(NEW)
    staff = Client(raise_request_exception=False, HTTP_ACCEPT_LANGUAGE="en")
    staff.force_login(filled["staff"])

    # the messenger webhook asks the platform to come back later, and logs why
    response = filled["driver"].post(filled["driver"].payload("Hallo?"))
    assert response.status_code == 503 and int(response["Retry-After"]) > 0
    assert "cannot be decrypted" in caplog.text

    # the channel and webhook admin pages render and say what is wrong
    for url in (
        reverse("admin:bot_channelconfig_changelist"),
        reverse("admin:bot_channelconfig_change", args=[_pk("bot_channelconfig")]),
        reverse("admin:event_pipeline_webhooksubscription_changelist"),
        reverse(
            "admin:event_pipeline_webhooksubscription_change",
            args=[_pk("supportdesk_webhooksubscription")],
        ),
    ):
        page = staff.get(url)
        assert page.status_code == 200, url
        assert "none of the configured keys" in page.content.decode().lower(), url

    # the agreement page renders; the download explains itself instead of failing
    agreement = filled["agreement"]
    page = staff.get(reverse("admin:privacy_processingagreement_change", args=[agreement.pk]))
    assert page.status_code == 200
    assert reverse("privacy:agreement-document", args=[agreement.pk]) in page.content.decode()
    document = staff.get(reverse("privacy:agreement-document", args=[agreement.pk]), follow=True)
    assert document.status_code == 200
    assert "cannot be decrypted" in document.content.decode()

    # the customer's export link answers "later", and stays valid for then
    export = staff.get(filled["download"])
    assert export.status_code == 503 and "try the same link again later" in export.content.decode()
    keys(NEW, OLD)
    assert staff.get(filled["download"]).status_code == 200


@pytest.mark.django_db(transaction=True)
def test_a_reply_that_cannot_be_decrypted_waits_and_is_sent_once_the_key_is_back(
    filled, keys, celery_eager
):
    conversation = filled["conversation"]
    keys(NEW)  # the old key dropped too early

    message_append(conversation=conversation, sender="agent", text="Ist unterwegs.")
    delivery = ChannelDelivery.objects.filter(message__isnull=False).latest("pk")
    delivery_send_task.delay(delivery.pk)

    # retryable, not "waiting" with 0 attempts forever
    waiting = ChannelDelivery.objects.get(pk=delivery.pk)
    assert waiting.status == ChannelDelivery.Status.RETRYING
    assert waiting.error_code == "encryption_key" and waiting.next_attempt_at > timezone.now()

    # when the key is back and the delivery is enqueued again (the sweeper's job)
    keys(NEW, OLD)
    delivery_send_task.delay(delivery.pk)

    sent = ChannelDelivery.objects.get(pk=delivery.pk)
    assert sent.status == ChannelDelivery.Status.SENT and sent.attempts == 1
    assert "Ist unterwegs." in filled["driver"].replies()[-1]


@pytest.mark.django_db
def test_a_channel_whose_credentials_no_key_opens_can_be_saved_and_given_new_ones(
    keys,
    active_channel,  # noqa: F811
):
    keys(OLD)
    config = active_channel("telegram")
    keys(NEW)
    staff = Client(HTTP_ACCEPT_LANGUAGE="en")
    staff.force_login(UserFactory(is_superuser=True))
    url = reverse("admin:bot_channelconfig_change", args=[config.pk])
    form = {"account_id": "", "human_agent_tag": ""}

    # saved with nothing entered: what no key opens stays as it was
    stored_before = _raw("bot_channelconfig", "access_token")
    kept = staff.post(url, {**form, "account_id": "1"})
    assert kept.status_code == 302
    assert _raw("bot_channelconfig", "access_token") == stored_before

    # a new token entered: stored under the new key; the rest still waits for the old key
    saved = staff.post(url, {**form, "account_id": "1", "access_token": "123:new"})
    assert saved.status_code == 302
    assert Fernet(NEW).decrypt(_raw("bot_channelconfig", "access_token")[0].encode()) == b"123:new"
    keys(NEW, OLD)
    stored = type(config).objects.get(pk=config.pk)
    assert (stored.access_token, stored.account_id) == ("123:new", "1")
    assert stored.webhook_secret == "test-telegram-secret_token-1"


@pytest.mark.django_db
def test_a_wrong_key_stops_the_rotation_with_one_line(keys):
    keys(OLD)
    data_subject_identify(name="Erika", email="erika@example.org")
    keys(NEW)  # the old key is not in the list: nothing opens the rows

    with pytest.raises(CommandError) as stopped:
        call_command("rotate_encryption_keys", stdout=io.StringIO())

    message = str(stopped.value)
    assert "\n" not in message
    assert "privacy.DataSubject.name" in message and "none of the 1 keys" in message


@pytest.mark.django_db
def test_the_status_counts_a_value_no_key_opens(keys):
    keys(OLD)
    data_subject_identify(name="Erika", email="erika@example.org")
    keys(NEW)

    with pytest.raises(CommandError) as left:
        call_command("encryption_status", stdout=io.StringIO())

    assert "privacy.DataSubject.name: 1 under no key" in str(left.value)


# The agreement document in the admin --------------------------------------------------------


@pytest.mark.django_db
def test_an_agreement_with_a_document_can_be_opened_and_its_document_replaced(keys, settings):
    keys(OLD)
    agreement = agreement_create("web")
    agreement.signed_document.save("alt.pdf", ContentFile(b"old"))
    staff = Client(HTTP_ACCEPT_LANGUAGE="en")
    staff.force_login(UserFactory(is_superuser=True))
    url = reverse("admin:privacy_processingagreement_change", args=[agreement.pk])

    page = staff.get(url)
    form = page.context["adminform"].form
    data = {
        name: value
        for name, value in form.initial.items()
        if value is not None and name != "signed_document"
    }
    data["processor"] = agreement.processor_id
    data["signed_document"] = ContentFile(b"new", name="neu.pdf")
    replaced = staff.post(url, data)

    assert page.status_code == 200
    assert reverse("privacy:agreement-document", args=[agreement.pk]) in page.content.decode()
    assert replaced.status_code == 302, replaced.content.decode()[:2000]
    agreement = ProcessingAgreement.objects.get(pk=agreement.pk)
    assert agreement.signed_document.open("rb").read() == b"new"
    assert b"new" not in open(agreement.signed_document.path, "rb").read()


# The status on the dashboard ----------------------------------------------------------------


@pytest.mark.django_db
def test_the_dashboard_shows_the_counted_status_after_count_now(keys):
    keys(OLD)
    data_subject_identify(name="Erika", email="erika@example.org")
    keys(NEW, OLD)
    officer = UserFactory(role=roles.PRIVACY_OFFICER)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(officer)

    before = client.get(reverse("privacy:dashboard")).content.decode()
    client.post(reverse("privacy:encryption-status-refresh"))
    after = client.get(reverse("privacy:dashboard")).content.decode()

    assert "Not counted yet" in before
    assert (
        "privacy.DataSubject.email" in after and "Not everything is under the newest key" in after
    )


def _pk(table: str) -> int:
    return _raw(table, "id")[0]


def _raw(table: str, column: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table}")  # noqa: S608
        return [row[0] for row in cursor.fetchall()]


@pytest.mark.django_db
def test_rotation_re_encrypts_the_stored_tokens_of_secrets(keys, active_channel):  # noqa: F811
    keys(OLD)
    active_channel("telegram")
    webhook_subscription_create(name="crm", url="https://example.org/h", events=["dsar.completed"])
    keys(NEW, OLD)

    call_command("rotate_encryption_keys", stdout=io.StringIO())

    new = Fernet(NEW)
    for table, column in (
        ("bot_channelconfig", "access_token"),
        ("supportdesk_webhooksubscription", "secret"),
    ):
        for token in _raw(table, column):
            assert new.decrypt(token.encode())  # the new key alone opens it


# At start ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_missing_key_is_reported_by_the_system_check_the_health_check_and_at_start(keys, caplog):
    from platform_core.health import health_report
    from privacy.checks import (
        check_encryption_keys_open_stored_values,
        encryption_keys_startup_report,
    )

    keys(OLD)
    data_subject_identify(name="Erika", email="erika@example.org")
    keys(NEW)  # the old key forgotten

    [error] = check_encryption_keys_open_stored_values(databases=["default"])
    [health] = [result for result in health_report() if result.name == "privacy.encryption_keys"]
    encryption_keys_startup_report()

    assert error.id == "privacy.E020"
    assert "3 of 3 sampled encrypted values (privacy.DataSubject: 3)" in error.msg
    assert "FIELD_ENCRYPTION_KEY[0], the newest key, opens none" in error.msg
    assert not health.ok and health.details["unreadable"] == {"privacy.DataSubject": 3}
    assert "FIELD_ENCRYPTION_KEY[0], the newest key" in caplog.text


@pytest.mark.django_db
def test_values_under_an_old_key_are_a_warning_naming_its_position(keys):
    from platform_core.health import health_report
    from privacy.checks import check_encryption_keys_open_stored_values

    keys(OLD)
    data_subject_identify(name="Erika", email="erika@example.org")
    keys(NEW, OLD)

    [warning] = check_encryption_keys_open_stored_values(databases=["default"])
    [health] = [result for result in health_report() if result.name == "privacy.encryption_keys"]

    assert warning.id == "privacy.W021" and "FIELD_ENCRYPTION_KEY[1]" in warning.msg
    assert health.ok


def test_a_malformed_key_is_named_by_its_position_at_start():
    import os
    import subprocess
    import sys

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "supportdesk.settings.test",
        "TEST_FIELD_ENCRYPTION_KEY": f"{NEW},not-a-fernet-key",
    }
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode != 0
    assert "FIELD_ENCRYPTION_KEY[1] of 2 is not a valid Fernet key" in result.stderr


@pytest.mark.django_db
def test_a_webhook_delivery_that_cannot_be_signed_stays_pending_and_is_sent_later(
    keys,
    receiver,  # noqa: F811
):
    from event_pipeline.tasks import webhook_deliver_task

    keys(OLD)
    hook = receiver()
    subscription, _secret = webhook_subscription_create(
        name="crm", url=hook.url, events=["dsar.completed"]
    )
    delivery = WebhookDelivery.objects.create(
        subscription=subscription, event="dsar.completed", payload={"request": "x"}
    )
    keys(NEW)  # the old key dropped too early: the signing secret cannot be read

    failed = webhook_deliver_task.apply(args=[delivery.pk])

    assert isinstance(failed.result, Exception) and "cannot be decrypted" in str(failed.result)
    # values(): the payload is encrypted too and cannot be read without the old key
    waiting = WebhookDelivery.objects.values("status", "attempts").get(pk=delivery.pk)
    assert (waiting["status"], waiting["attempts"]) == ("pending", 0)  # a sweeper may enqueue it

    keys(NEW, OLD)
    webhook_deliver_task.apply(args=[delivery.pk])

    assert WebhookDelivery.objects.get(pk=delivery.pk).status == "delivered"
    assert len(hook.requests) == 1


@pytest.mark.django_db
def test_a_copy_left_by_an_interrupted_file_rotation_is_removed_by_the_next_run(keys, settings):
    keys(OLD)
    agreement = agreement_create("web")
    agreement.signed_document.save("vertrag.pdf", ContentFile(b"%PDF"))
    folder = agreement.signed_document.path.rsplit("/", 1)[0]
    leftover = f"{folder}/.rotating-abc123"
    with open(leftover, "wb") as out:
        out.write(b"half a copy")
    keys(NEW, OLD)

    call_command("rotate_encryption_keys", stdout=io.StringIO())

    import os

    assert not os.path.exists(leftover)
    keys(NEW)
    assert agreement.signed_document.open("rb").read() == b"%PDF"
