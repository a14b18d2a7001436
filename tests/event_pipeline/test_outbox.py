"""The outbox: recorded in the transaction, dispatched once after commit, drained after a crash."""

from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from event_pipeline import outbox
from event_pipeline.models import OutboxEvent
from event_pipeline.outbox import (
    call_action,
    group_action,
    outbox_drain,
    outbox_event_record,
    outbox_handler_register,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def calls():
    seen: list[int] = []
    outbox_handler_register("test.seen", lambda *, number: seen.append(number))
    return seen


@pytest.fixture
def pushes(monkeypatch):
    sent: list[tuple[str, dict]] = []
    monkeypatch.setattr(outbox, "group_send", lambda group, message: sent.append((group, message)))
    return sent


def test_events_go_out_after_commit_in_order_and_their_rows_are_deleted(
    calls, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            outbox_event_record(kind="test", actions=[call_action("test.seen", number=1)])
            outbox_event_record(kind="test", actions=[call_action("test.seen", number=2)])
            assert calls == []  # nothing before commit
            assert OutboxEvent.objects.count() == 2

    assert calls == [1, 2]
    assert OutboxEvent.objects.count() == 0


def test_a_rolled_back_transaction_sends_nothing(calls, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            outbox_event_record(kind="test", actions=[call_action("test.seen", number=1)])
            raise RuntimeError

    assert calls == [] and OutboxEvent.objects.count() == 0


def test_a_savepoint_rolled_back_takes_its_events_with_it(
    calls, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            with pytest.raises(RuntimeError), transaction.atomic():
                outbox_event_record(kind="test", actions=[call_action("test.seen", number=1)])
                raise RuntimeError
            outbox_event_record(kind="test", actions=[call_action("test.seen", number=2)])

    assert calls == [2]
    assert OutboxEvent.objects.count() == 0


def _left_behind(number: int, *, age_seconds: float = 600) -> OutboxEvent:
    """A row as a process that died after commit leaves it (its dispatch never ran)."""
    event = OutboxEvent.objects.create(
        kind="test", actions=[call_action("test.seen", number=number)]
    )
    OutboxEvent.objects.filter(pk=event.pk).update(
        created_at=timezone.now() - timedelta(seconds=age_seconds)
    )
    return event


def test_the_drain_dispatches_what_a_dead_process_left_once(calls):
    _left_behind(1)
    _left_behind(2)

    first = outbox_drain()
    second = outbox_drain()

    assert (first, second) == (2, 0)
    assert calls == [1, 2]
    assert OutboxEvent.objects.count() == 0


def test_the_drain_leaves_fresh_events_to_their_own_dispatcher(calls, settings):
    settings.OUTBOX_DRAIN_AFTER_SECONDS = 30
    _left_behind(1, age_seconds=1)

    assert outbox_drain() == 0
    assert calls == [] and OutboxEvent.objects.count() == 1


def test_a_row_claimed_by_another_drain_is_not_dispatched_twice(calls):
    event = _left_behind(1)
    OutboxEvent.objects.filter(pk=event.pk).update(
        claimed_until=timezone.now() + timedelta(seconds=60)
    )

    assert outbox_drain() == 0
    assert calls == []


def test_a_failed_action_keeps_its_row_for_the_next_drain(calls):
    outbox_handler_register("test.broken", lambda **ids: 1 / 0)
    broken = OutboxEvent.objects.create(kind="test", actions=[call_action("test.broken", number=1)])
    OutboxEvent.objects.filter(pk=broken.pk).update(
        created_at=timezone.now() - timedelta(seconds=600)
    )
    _left_behind(2)

    assert outbox_drain() == 1

    assert calls == [2]
    assert list(OutboxEvent.objects.values_list("pk", flat=True)) == [broken.pk]


def test_rows_hold_no_plaintext(pushes):
    with transaction.atomic():
        outbox_event_record(
            kind="test",
            actions=[group_action("conversation_x", {"frame": {"text": "Erika Mustermann"}})],
        )
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT actions FROM {OutboxEvent._meta.db_table}")
            stored = repr(cursor.fetchall())

    assert "Erika" not in stored and "conversation_x" not in stored


def test_erasure_deletes_undispatched_events_about_the_subjects_conversations():
    from privacy.registry import provider_list
    from tests.factories import ConversationFactory, DataSubjectFactory

    subject = DataSubjectFactory()
    theirs = ConversationFactory(subject=subject)
    others = ConversationFactory()
    OutboxEvent.objects.create(kind="test", actions=[], reference=theirs.public_id)
    OutboxEvent.objects.create(kind="test", actions=[], reference=others.public_id)
    provider = next(p for p in provider_list() if p.name == "supportdesk.outbox")

    assert provider.erase(subject) == {"outbox_events": 1}
    assert list(OutboxEvent.objects.values_list("reference", flat=True)) == [others.public_id]


def test_group_names_are_built_in_one_place():
    """event_pipeline/events.py names the groups; no other module spells them out."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    spelled = re.compile(r"""f["'](customer|conversation|inbox|staff)_\{""")
    elsewhere = [
        str(path.relative_to(root))
        for app in ("agents", "bot", "privacy", "platform_core", "event_pipeline", "supportdesk")
        for path in root.joinpath(app).rglob("*.py")
        if path.name != "events.py" and spelled.search(path.read_text(encoding="utf-8"))
    ]
    assert elsewhere == []


@pytest.fixture
def broken_event():
    outbox_handler_register("test.broken", lambda **ids: 1 / 0)
    event = OutboxEvent.objects.create(kind="test", actions=[call_action("test.broken", number=1)])
    OutboxEvent.objects.filter(pk=event.pk).update(
        created_at=timezone.now() - timedelta(seconds=600)
    )
    return event


def test_a_failing_event_backs_off_before_its_next_try(broken_event, settings):
    settings.OUTBOX_RETRY_BACKOFF_SECONDS = 60

    assert outbox_drain() == 0
    # a drain right after does not try it again: it waits out its back-off
    assert outbox_drain() == 0

    broken_event.refresh_from_db()
    assert broken_event.attempts == 1 and broken_event.last_error == "ZeroDivisionError"
    assert broken_event.failed_at is None
    waited = broken_event.claimed_until - timezone.now()
    assert timedelta(seconds=55) < waited <= timedelta(seconds=60)


def test_the_back_off_doubles_up_to_an_hour(settings):
    settings.OUTBOX_RETRY_BACKOFF_SECONDS = 60

    delays = [outbox.outbox_retry_delay(attempts=n).total_seconds() for n in (1, 2, 3, 10)]

    assert delays == [60, 120, 240, 3600]


def _drain_after_back_off() -> int:
    OutboxEvent.objects.update(claimed_until=None)
    return outbox_drain()


def test_an_event_that_keeps_failing_is_given_up_on_kept_and_reported(broken_event, settings):
    from platform_core.health import health_report

    settings.OUTBOX_MAX_ATTEMPTS = 3
    for _ in range(3):
        _drain_after_back_off()

    # then it is no longer tried, yet kept (never dropped silently) and reported
    broken_event.refresh_from_db()
    assert broken_event.attempts == 3 and broken_event.failed_at is not None
    assert _drain_after_back_off() == 0
    assert OutboxEvent.objects.filter(pk=broken_event.pk).exists()
    (result,) = [r for r in health_report() if r.name == "outbox"]
    assert not result.ok and result.details == {"failed": 1, "retrying": 0}
    assert "1" in result.summary


def test_the_health_check_is_ok_while_events_are_only_retried(broken_event):
    from platform_core.health import health_report

    _drain_after_back_off()

    (result,) = [r for r in health_report() if r.name == "outbox"]
    assert result.ok and result.details == {"failed": 0, "retrying": 1}


def test_an_admin_dispatches_a_given_up_event_again_audited(
    broken_event, calls, settings, client, django_user_model
):
    from django.urls import reverse

    from privacy.models import AuditEvent

    # given an event given up on, whose cause is then fixed
    settings.OUTBOX_MAX_ATTEMPTS = 1
    _drain_after_back_off()
    outbox_handler_register("test.broken", lambda *, number: calls.append(number))
    admin = django_user_model.objects.create_superuser("root", "root@example.org", "pw")
    client.force_login(admin)
    changelist = reverse("admin:event_pipeline_outboxevent_changelist")
    assert "ZeroDivisionError" in client.get(changelist).content.decode()

    # when the admin dispatches it again
    client.post(changelist, {"action": "retry", "_selected_action": [broken_event.pk]})

    # then it is audited, and the next drain sends it
    assert AuditEvent.objects.filter(action="outbox_event.retried").count() == 1
    assert outbox_drain() == 1
    assert calls == [1] and not OutboxEvent.objects.exists()
