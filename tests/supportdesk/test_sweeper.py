"""Jobs that finish: the sweeper (beat task, command, admin action) queues again what a lost
worker left unfinished, and every task it queues does its work once."""

# ruff: noqa: F811  (fixtures imported from the tests of the app they belong to)

from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from bot.learning import INTERRUPTED_ERROR, bot_model_train, training_examples, training_fingerprint
from bot.models import BotModel, ChannelDelivery
from event_pipeline.models import WebhookDelivery
from event_pipeline.webhooks import webhook_deliver, webhook_subscription_create
from platform_core.heartbeats import SWEEP
from platform_core.models import JobHeartbeat
from privacy.models import AuditEvent, DataExport, DataRequest, DataSubject
from privacy.services import data_request_create, data_request_process
from staff import roles
from supportdesk.sweeper import jobs_sweep
from tests.bot.channels.conftest import active_channel, fake_platforms  # noqa: F401  (fixtures)
from tests.bot.channels.test_delivery import linked, reply  # noqa: F401  (fixture)
from tests.bot.test_learning import small_knowledge_base  # noqa: F401  (fixture)
from tests.event_pipeline.test_webhooks import receiver  # noqa: F401  (fixture)
from tests.factories import UserFactory, known_subject

pytestmark = pytest.mark.django_db

LONG_AGO = timedelta(hours=2)


@pytest.fixture
def officer():
    return UserFactory(role=roles.PRIVACY_OFFICER, email="dsb@example.org", is_staff=True)


@pytest.fixture
def lost_request(officer):
    """lost_request(kind): a verified request whose processing task was lost long ago."""

    def make(kind: str) -> DataRequest:
        known_subject(name="Erika Mustermann", email="erika@example.org")
        # Opened by staff (verified at once); its task is queued on commit, which never
        # happens here: the task is lost, as with a worker killed on the filesystem broker.
        request = data_request_create(kind=kind, email="erika@example.org", created_by=officer)
        DataRequest.objects.filter(pk=request.pk).update(
            verified_at=timezone.now() - LONG_AGO, queued_at=timezone.now() - LONG_AGO
        )
        return DataRequest.objects.get(pk=request.pk)

    return make


def _sweep(capture, **kwargs) -> dict[str, int]:
    with capture(execute=True):
        return jobs_sweep(**kwargs)


# Data requests: exports, erasures --------------------------------------------------------------


def test_a_lost_access_request_is_queued_again_and_its_export_built_once(
    lost_request, celery_eager, django_capture_on_commit_callbacks
):
    request = lost_request("access")

    counts = _sweep(django_capture_on_commit_callbacks)

    request.refresh_from_db()
    assert counts["data_requests"] == 1
    assert request.status == DataRequest.Status.COMPLETED
    assert DataExport.objects.get(request=request).status == DataExport.Status.READY
    assert AuditEvent.objects.filter(action="export.built").count() == 1
    requeued = AuditEvent.objects.get(action="data_request.requeued")
    assert requeued.target_id == str(request.pk) and requeued.acting_user is None
    # a second sweep finds nothing to do
    assert _sweep(django_capture_on_commit_callbacks)["data_requests"] == 0


def test_a_lost_erasure_is_carried_out_once(
    lost_request, celery_eager, django_capture_on_commit_callbacks
):
    request = lost_request("erasure")

    _sweep(django_capture_on_commit_callbacks)
    _sweep(django_capture_on_commit_callbacks, stuck_after=0)

    request.refresh_from_db()
    assert request.status == DataRequest.Status.COMPLETED
    assert not DataSubject.objects.exists()
    assert AuditEvent.objects.filter(action="subject.erased").count() == 1


def test_a_request_queued_recently_is_left_to_its_task(
    lost_request, celery_eager, django_capture_on_commit_callbacks
):
    request = lost_request("access")
    DataRequest.objects.filter(pk=request.pk).update(queued_at=timezone.now())

    counts = _sweep(django_capture_on_commit_callbacks)

    assert counts["data_requests"] == 0
    assert DataRequest.objects.get(pk=request.pk).status == DataRequest.Status.VERIFIED


def test_an_export_finished_by_another_run_meanwhile_is_not_completed_twice(
    lost_request, django_capture_on_commit_callbacks
):
    # given two runs of one request that both started while it was "verified"
    request = lost_request("access")
    stale = DataRequest.objects.get(pk=request.pk)
    with django_capture_on_commit_callbacks(execute=True):
        data_request_process(request=request)
    first_file = DataExport.objects.get(request=request).file_name

    # when the slower one finishes
    with django_capture_on_commit_callbacks(execute=True):
        data_request_process(request=stale)

    # then the first run's export stands: one export, one audit row, one email
    assert DataExport.objects.get(request=request).file_name == first_file
    assert AuditEvent.objects.filter(action="export.built").count() == 1
    assert len(mail.outbox) == 1


def test_an_erasure_finished_by_another_run_meanwhile_erases_nothing_more(lost_request):
    request = lost_request("erasure")
    stale = DataRequest.objects.select_related("subject").get(pk=request.pk)
    data_request_process(request=request)

    data_request_process(request=stale)

    assert AuditEvent.objects.filter(action="subject.erased").count() == 1


# Training runs --------------------------------------------------------------------------------


def _training_record(*, age: timedelta) -> BotModel:
    fingerprint = training_fingerprint(training_examples(language="de"))
    record = BotModel.objects.create(
        language="de", version=1, training_fingerprint=fingerprint, examples_count=36
    )
    BotModel.objects.filter(pk=record.pk).update(created_at=timezone.now() - age)
    return record


def test_a_training_run_whose_worker_died_is_marked_interrupted_and_trained_again(
    small_knowledge_base, celery_eager, django_capture_on_commit_callbacks
):
    dead = _training_record(age=LONG_AGO)

    counts = _sweep(django_capture_on_commit_callbacks)

    dead.refresh_from_db()
    assert counts["training_runs"] == 1
    assert dead.status == BotModel.Status.FAILED and dead.error == INTERRUPTED_ERROR
    # trained once more, to the end (the quality gate decides about activation)
    again = BotModel.objects.exclude(pk=dead.pk).get()
    assert again.version == 2 and again.status != BotModel.Status.TRAINING and again.checksum


def test_a_training_run_in_progress_is_not_started_twice(small_knowledge_base):
    _training_record(age=timedelta(seconds=5))

    assert bot_model_train(language="de") is None
    assert BotModel.objects.count() == 1


def test_a_running_training_is_left_alone_by_the_sweeper(
    small_knowledge_base, django_capture_on_commit_callbacks
):
    _training_record(age=timedelta(seconds=5))

    assert _sweep(django_capture_on_commit_callbacks, stuck_after=0)["training_runs"] == 0


# Webhook and messenger deliveries ------------------------------------------------------------


def _webhook_delivery(url: str, *, due_ago: timedelta) -> WebhookDelivery:
    subscription, _secret = webhook_subscription_create(
        name="crm", url=url, events=["message.created"]
    )
    return WebhookDelivery.objects.create(
        subscription=subscription,
        event="message.created",
        payload={"conversation": "x"},
        next_attempt_at=timezone.now() - due_ago,
    )


def test_a_webhook_delivery_pending_with_no_attempt_is_sent_by_the_sweeper(
    receiver, celery_eager, django_capture_on_commit_callbacks
):
    endpoint = receiver()
    delivery = _webhook_delivery(endpoint.url, due_ago=LONG_AGO)

    counts = _sweep(django_capture_on_commit_callbacks)

    delivery.refresh_from_db()
    assert counts["webhook_deliveries"] == 1
    assert delivery.status == WebhookDelivery.Status.DELIVERED and delivery.attempts == 1
    assert len(endpoint.requests) == 1


def test_a_swept_webhook_delivery_is_not_queued_again_by_the_next_sweep(
    django_capture_on_commit_callbacks,
):
    _webhook_delivery("http://127.0.0.1:9/hook", due_ago=LONG_AGO)

    first = _sweep(django_capture_on_commit_callbacks)  # queued (no worker here)
    second = _sweep(django_capture_on_commit_callbacks)

    assert first["webhook_deliveries"] == 1 and second["webhook_deliveries"] == 0


def test_a_webhook_delivery_waiting_for_its_backoff_is_left_alone(
    django_capture_on_commit_callbacks,
):
    _webhook_delivery("http://127.0.0.1:9/hook", due_ago=timedelta(minutes=-10))

    assert _sweep(django_capture_on_commit_callbacks)["webhook_deliveries"] == 0


def test_a_messenger_delivery_pending_with_no_attempt_is_sent_once_by_the_sweeper(
    linked,
    fake_platforms,
    celery_eager,
    django_capture_on_commit_callbacks,
):
    delivery = reply(linked("telegram"))  # its task was never run
    ChannelDelivery.objects.filter(pk=delivery.pk).update(updated_at=timezone.now() - LONG_AGO)

    counts = _sweep(django_capture_on_commit_callbacks)
    _sweep(django_capture_on_commit_callbacks)

    assert counts["channel_deliveries"] == 1
    assert ChannelDelivery.objects.get(pk=delivery.pk).status == ChannelDelivery.Status.SENT
    assert fake_platforms.texts("telegram") == ["Ihr Paket ist unterwegs."]


# The sweep itself -----------------------------------------------------------------------------


def test_a_sweep_is_bounded_by_its_batch_size(django_capture_on_commit_callbacks):
    for _ in range(3):
        _webhook_delivery("http://127.0.0.1:9/hook", due_ago=LONG_AGO)

    counts = _sweep(django_capture_on_commit_callbacks, batch_size=2)

    assert counts["webhook_deliveries"] == 2
    assert _sweep(django_capture_on_commit_callbacks, batch_size=2)["webhook_deliveries"] == 1


def test_a_sweep_records_its_heartbeat_and_audits_what_it_queued(
    django_capture_on_commit_callbacks,
):
    _webhook_delivery("http://127.0.0.1:9/hook", due_ago=LONG_AGO)

    _sweep(django_capture_on_commit_callbacks)
    _sweep(django_capture_on_commit_callbacks)  # nothing left: no audit row

    assert JobHeartbeat.objects.get(name=SWEEP).last_run_at is not None
    swept = AuditEvent.objects.get(action="jobs.swept")
    assert swept.details == {
        "data_requests": 0,
        "training_runs": 0,
        "webhook_deliveries": 1,
        "channel_deliveries": 0,
        "outbox_events": 0,
    }


def test_the_sweep_command_queues_everything_unfinished_with_stuck_after_zero(
    lost_request, celery_eager, django_capture_on_commit_callbacks, capsys
):
    request = lost_request("access")
    DataRequest.objects.filter(pk=request.pk).update(queued_at=timezone.now())

    with django_capture_on_commit_callbacks(execute=True):
        call_command("sweep_jobs", "--stuck-after", "0")

    assert "data_requests: 1 queued again" in capsys.readouterr().out
    assert DataRequest.objects.get(pk=request.pk).status == DataRequest.Status.COMPLETED


# Admin actions --------------------------------------------------------------------------------


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_the_admin_retries_a_failed_data_request_audited(
    admin_client, lost_request, celery_eager, django_capture_on_commit_callbacks
):
    request = lost_request("access")
    DataRequest.objects.filter(pk=request.pk).update(status=DataRequest.Status.FAILED)

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            "/admin/privacy/datarequest/",
            {"action": "retry", "_selected_action": [request.pk]},
        )

    assert response.status_code == 302
    assert DataRequest.objects.get(pk=request.pk).status == DataRequest.Status.COMPLETED
    retried = AuditEvent.objects.get(action="data_request.requeued")
    assert retried.acting_user is not None and retried.reason == "retried by staff"


def test_the_admin_retries_a_failed_webhook_delivery_with_fresh_attempts(
    admin_client, receiver, celery_eager, django_capture_on_commit_callbacks
):
    endpoint = receiver()
    delivery = _webhook_delivery(endpoint.url, due_ago=timedelta(0))
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=WebhookDelivery.Status.FAILED, attempts=8
    )

    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            "/admin/event_pipeline/webhookdelivery/",
            {"action": "retry", "_selected_action": [delivery.pk]},
        )

    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.DELIVERED and delivery.attempts == 1
    assert AuditEvent.objects.filter(action="webhook_delivery.retried").count() == 1


def test_the_admin_retries_a_failed_messenger_delivery(
    admin_client,
    linked,
    fake_platforms,
    celery_eager,
    django_capture_on_commit_callbacks,
):
    delivery = reply(linked("telegram"))
    ChannelDelivery.objects.filter(pk=delivery.pk).update(
        status=ChannelDelivery.Status.FAILED,
        failure_reason=ChannelDelivery.Reason.GAVE_UP,
        attempts=8,
    )

    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            "/admin/bot/channeldelivery/",
            {"action": "retry", "_selected_action": [delivery.pk]},
        )

    delivery.refresh_from_db()
    assert delivery.status == ChannelDelivery.Status.SENT and delivery.attempts == 1
    assert AuditEvent.objects.filter(action="channel_delivery.retried").count() == 1


def test_of_two_runs_of_one_webhook_delivery_at_once_only_one_sends(receiver):
    endpoint = receiver()
    delivery = _webhook_delivery(endpoint.url, due_ago=LONG_AGO)
    # both runs read the delivery before either sent it
    first = WebhookDelivery.objects.select_related("subscription").get(pk=delivery.pk)
    second = WebhookDelivery.objects.select_related("subscription").get(pk=delivery.pk)

    webhook_deliver(delivery=first)
    webhook_deliver(delivery=second)

    assert len(endpoint.requests) == 1
    assert WebhookDelivery.objects.get(pk=delivery.pk).attempts == 1
