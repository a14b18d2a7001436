"""The shared models left the project app for platform_core and event_pipeline (issue 21):
a database migrated before the move keeps its rows, and permissions follow the models."""

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from platform_core.models import ApiKey, JobHeartbeat

BEFORE_THE_MOVE = [
    ("supportdesk", "0006_outbox"),
    ("platform_core", None),
    ("event_pipeline", None),
]


def _migrate(targets) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return MigrationExecutor(connection)


@pytest.mark.django_db(transaction=True)
def test_rows_and_permissions_written_before_the_move_are_there_after_it():
    # given: the schema before the move, with a key, a heartbeat and a permission granted
    old = _migrate(BEFORE_THE_MOVE)._create_project_state(with_applied_migrations=True).apps
    user = old.get_model("auth", "User").objects.create(username="machine")
    old.get_model("supportdesk", "ApiKey").objects.create(
        user_id=user.pk, name="crm", prefix="abcd1234", key_hash="0" * 64, scopes=[]
    )
    old.get_model("supportdesk", "JobHeartbeat").objects.create(name="sweep")
    content_type = old.get_model("contenttypes", "ContentType").objects.get_or_create(
        app_label="supportdesk", model="webhookdelivery"
    )[0]
    permission = old.get_model("auth", "Permission").objects.get_or_create(
        content_type=content_type,
        codename="change_webhookdelivery",
        defaults={"name": "Can change webhook delivery"},
    )[0]
    group = old.get_model("auth", "Group").objects.create(name="operations")
    group.permissions.add(permission)

    # when: migrated to today's schema
    executor = MigrationExecutor(connection)
    _migrate(executor.loader.graph.leaf_nodes())

    # then: the rows are read through the moved models, the group keeps its permission
    assert ApiKey.objects.get().prefix == "abcd1234"
    assert JobHeartbeat.objects.get().name == "sweep"
    assert Group.objects.get(name="operations").permissions.get().natural_key() == (
        "change_webhookdelivery",
        "event_pipeline",
        "webhookdelivery",
    )
