"""`make test-services` must really run on the services, never silently on the embedded default."""

import asyncio

import pytest
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import connection

pytestmark = pytest.mark.services


def test_the_database_is_postgresql():
    assert connection.vendor == "postgresql"


def test_the_channel_layer_is_redis_pubsub():
    assert settings.CHANNEL_LAYERS["default"]["BACKEND"] == (
        "channels_redis.pubsub.RedisPubSubChannelLayer"
    )


def test_the_celery_broker_is_a_server():
    assert not settings.CELERY_BROKER_URL.startswith("filesystem://")


async def test_a_group_message_reaches_a_channel_idle_for_longer_than_five_seconds():
    # channels-redis drops idle connections after 5 s unless socket_timeout is None (DESIGN.md).
    layer = get_channel_layer()
    channel = await layer.new_channel()
    await layer.group_add("inbox_idle_test", channel)
    try:
        receiving = asyncio.ensure_future(layer.receive(channel))
        await asyncio.sleep(6.5)
        await layer.group_send("inbox_idle_test", {"type": "inbox.event", "payload": {"n": 1}})
        message = await asyncio.wait_for(receiving, timeout=5)
    finally:
        await layer.group_discard("inbox_idle_test", channel)
        await layer.flush()
    assert message["payload"] == {"n": 1}


@pytest.mark.django_db
def test_postgresql_binds_server_side_and_keeps_repeated_statements_prepared():
    from django.contrib.auth import get_user_model

    for _ in range(settings.DATABASES["default"]["OPTIONS"]["prepare_threshold"] + 1):
        get_user_model().objects.filter(pk=0).exists()

    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [row[0] for row in cursor.fetchall()]
        assert type(cursor.cursor).__name__ == "ServerBindingCursor"
    assert any('FROM "auth_user"' in statement for statement in prepared), prepared
