"""The PostgreSQL backend's health check: skipped right after a commit, as before after idling."""

import pytest
from django.db import DEFAULT_DB_ALIAS, close_old_connections, connections, transaction

from bot.models import Conversation

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def health_checks(monkeypatch) -> list[bool]:
    """Every health check (Django's `SELECT 1` round trip) the connection sends, its result."""
    database = connections[DEFAULT_DB_ALIAS]
    database.ensure_connection()
    monkeypatch.setattr(database, "health_check_enabled", True)
    monkeypatch.setattr(database, "close_at", None)  # kept, as CONN_MAX_AGE keeps it
    checks = []
    original = database.is_usable

    def counted() -> bool:
        checks.append(original())
        return checks[-1]

    monkeypatch.setattr(database, "is_usable", counted)
    return checks


def _trip() -> None:
    """A request or a trip to the database thread: channels and Django close what is
    obsolete first, then a transaction runs."""
    close_old_connections()
    with transaction.atomic():
        Conversation.objects.exists()


def test_a_trip_right_after_a_commit_sends_no_health_check(health_checks):
    # given a connection that has just committed
    _trip()
    health_checks.clear()
    kept = connections[DEFAULT_DB_ALIAS].connection

    # when the next trip follows at once
    _trip()

    # then it runs its statement on that connection without the SELECT 1 round trip before it
    assert connections[DEFAULT_DB_ALIAS].connection is kept
    assert health_checks == []


def test_a_connection_idle_for_a_second_is_checked_before_its_next_statement(health_checks):
    _trip()
    health_checks.clear()
    connections[DEFAULT_DB_ALIAS].committed_at -= 1.0  # its last commit a second ago

    kept = connections[DEFAULT_DB_ALIAS].connection

    _trip()

    assert connections[DEFAULT_DB_ALIAS].connection is kept
    assert health_checks == [True]
