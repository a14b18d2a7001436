"""The single process's channel layer sweeps expired messages and memberships once a
second, not at every receive (issue 22: a walk over every open chat's group each time)."""

import asyncio

import pytest
from channels.layers import get_channel_layer

from platform_core.channel_layers import SweptInMemoryChannelLayer


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_settings_use_it_without_redis(settings):
    if settings.CHANNEL_LAYERS["default"]["BACKEND"].startswith("channels_redis"):
        pytest.skip("services mode: channels-redis")
    assert isinstance(get_channel_layer(), SweptInMemoryChannelLayer)


def test_receives_within_a_second_sweep_once(monkeypatch):
    clock = Clock()
    layer = SweptInMemoryChannelLayer(clock=clock)
    swept = []
    monkeypatch.setattr(
        "channels.layers.InMemoryChannelLayer._clean_expired", lambda self: swept.append(1)
    )

    async def receive_three():
        for n in range(3):
            await layer.send(f"specific.inmemory!c{n}", {"type": "x"})
            await layer.receive(f"specific.inmemory!c{n}")

    asyncio.run(receive_three())
    assert len(swept) == 1
    clock.now += SweptInMemoryChannelLayer.SWEEP_SECONDS
    asyncio.run(receive_three())
    assert len(swept) == 2


def test_an_expired_message_and_its_channels_membership_are_still_dropped(monkeypatch):
    clock = Clock()
    layer = SweptInMemoryChannelLayer(clock=clock, expiry=60)
    wall = [5000.0]
    monkeypatch.setattr("channels.layers.time.time", lambda: wall[0])

    async def scenario():
        await layer.group_add("chat.gone", "specific.inmemory!gone")
        await layer.send("specific.inmemory!gone", {"type": "old"})
        wall[0] += 61  # the message has expired
        clock.now += SweptInMemoryChannelLayer.SWEEP_SECONDS
        await layer.send("specific.inmemory!other", {"type": "new"})
        return await layer.receive("specific.inmemory!other")

    assert asyncio.run(scenario()) == {"type": "new"}
    assert "specific.inmemory!gone" not in layer.channels
    assert "chat.gone" not in layer.groups or not layer.groups["chat.gone"]


def test_a_membership_older_than_group_expiry_ends_at_the_next_sweep(monkeypatch):
    clock = Clock()
    layer = SweptInMemoryChannelLayer(clock=clock, group_expiry=100)
    wall = [5000.0]
    monkeypatch.setattr("channels.layers.time.time", lambda: wall[0])

    async def scenario():
        await layer.group_add("chat.stale", "specific.inmemory!stale")
        await layer.group_send("chat.stale", {"type": "first"})  # swept now: nothing old
        wall[0] += 101
        await layer.group_send("chat.stale", {"type": "within the second"})
        within = dict(layer.groups["chat.stale"])
        clock.now += SweptInMemoryChannelLayer.SWEEP_SECONDS
        await layer.group_send("chat.stale", {"type": "after"})
        return within

    within = asyncio.run(scenario())
    assert "specific.inmemory!stale" in within
    assert "specific.inmemory!stale" not in layer.groups["chat.stale"]
