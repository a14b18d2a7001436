"""Scale-out proven, not assumed: two daphne processes behind HAProxy on PostgreSQL,
channels-redis and Celery on RabbitMQ, with the faults an operator meets.

The test starts its own Redis and RabbitMQ node (free ports; the machine's shared ones are
never restarted), two daphne processes, HAProxy (Debian's package, round-robin, health
check on /health/) and a Celery worker. A webhook receiver subscribed to
message.created stands for a user-visible task. Logs go to
var/test-artifacts/test_scale_out/ when it fails.
"""

import asyncio
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from agents.models import AgentProfile
from benchmarks.scale_out import (
    Figures,
    InboxAgent,
    kill_and_resume,
    pairs_open,
    redis_restart_recovery,
    round_trip,
)
from event_pipeline.webhooks import webhook_subscription_create
from tests.factories import AgentFactory, QueueFactory
from tests.processes import (
    HAPROXY,
    artifacts_keep,
    celery_worker_process,
    daphne_process,
    haproxy_process,
    process_environment,
    rabbitmq_process,
    redis_process,
)

pytestmark = pytest.mark.services


class WebhookReceiver(ThreadingHTTPServer):
    """Records every webhook it is sent (the event and its data) and answers 200."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _ReceiverHandler)
        self.events: list[dict] = []
        self.url = f"http://127.0.0.1:{self.server_address[1]}/hook/"

    def delivered(self, conversation: str, seq: int) -> int:
        return sum(
            1
            for event in self.events
            if event["data"].get("conversation") == conversation and event["data"]["seq"] == seq
        )


class _ReceiverHandler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.events.append(json.loads(body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args) -> None:  # quiet
        pass


@pytest.fixture
def webhook_receiver():
    receiver = WebhookReceiver()
    thread = threading.Thread(target=receiver.serve_forever, daemon=True)
    thread.start()
    yield receiver
    receiver.shutdown()
    receiver.server_close()


async def _until(condition, what: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout:.0f} s")
        await asyncio.sleep(0.2)


async def _broker_restart_keeps_queued_tasks(pair, broker, worker, receiver) -> None:
    """No worker consumes; a message's webhook task is queued; the broker restarts; another
    message is queued through the restarted broker; a worker starts: both are delivered."""
    await asyncio.to_thread(worker.stop)
    before = await pair.customer.send_and_wait("Vor dem Neustart des Brokers")
    await asyncio.to_thread(broker.restart)
    after = await pair.customer.send_and_wait("Nach dem Neustart des Brokers")
    await asyncio.to_thread(worker.start)
    for seq in (before, after):
        await _until(
            lambda seq=seq: receiver.delivered(pair.public_id, seq),
            f"the webhook of message {seq} (queued across the broker restart)",
            timeout=60,
        )


async def _scenario(balancer_url, servers, redis, broker, worker, receiver) -> Figures:
    figures = Figures()
    agent = await asyncio.to_thread(InboxAgent, balancer_url, "anna", "test-password")

    # 1. A customer on one process and the agent on the other talk live.
    pairs = await pairs_open(balancer_url, agent, 2, figures)
    for pair in pairs:
        assert pair.customer.served_by and pair.socket.served_by != pair.customer.served_by
    await round_trip(agent, pairs[0], "Live")

    # 2. Redis restarts: messages meanwhile are stored; live delivery comes back.
    await redis_restart_recovery(agent, pairs, redis)

    # 3. The broker restarts: queued tasks still run.
    await _broker_restart_keeps_queued_tasks(pairs[0], broker, worker, receiver)

    # 4. kill -9 of a daphne: its customers resume on the other one, nothing lost.
    victim = await kill_and_resume(agent, pairs, servers, 12, figures)
    assert not servers[victim].alive
    return figures


@pytest.mark.django_db(transaction=True)
def test_two_daphne_processes_behind_haproxy_talk_live_and_lose_nothing_when_a_process_dies_and_redis_and_the_broker_restart(  # noqa: E501
    policies, tmp_path, webhook_receiver
):
    assert Path(HAPROXY).exists(), "HAProxy is missing: `make test-services` installs it."
    agent = AgentFactory(username="anna")
    AgentProfile.objects.create(user=agent, display_name="Anna", availability="online")
    QueueFactory(name="Kundenservice", members=[agent])
    webhook_subscription_create(name="crm", url=webhook_receiver.url, events=["message.created"])

    started = []
    try:
        redis = redis_process(tmp_path).start()
        started.append(redis)
        broker = rabbitmq_process(tmp_path).launch()
        started.append(broker)
        env = process_environment(
            REDIS_URL=redis.url,
            CELERY_BROKER_URL=broker.url,
            WEBHOOK_BACKOFF_SECONDS="1",
            # Customers send 10 messages a second around the kill: failover, not the limiter.
            CHAT_RATE_PER_SECOND="1000",
            CHAT_RATE_BURST="1000",
        )
        servers = {
            name: daphne_process(tmp_path / f"daphne-{name}.log", env).launch()
            for name in ("a", "b")
        }
        started += servers.values()
        for server in servers.values():
            server.wait_ready()
        balancer = haproxy_process(tmp_path, {n: s.port for n, s in servers.items()})
        started.append(balancer.start())
        broker.wait_ready()
        worker = celery_worker_process(tmp_path / "worker.log", env)
        started.append(worker.start())

        figures = asyncio.run(
            asyncio.wait_for(
                _scenario(balancer.url, servers, redis, broker, worker, webhook_receiver),
                timeout=240,
            )
        )

        assert (figures.lost, figures.duplicated) == (0, 0)
        assert figures.reconnect, "no customer had to reconnect: the kill hit no one"
        event_ids = [event["id"] for event in webhook_receiver.events]
        assert len(event_ids) == len(set(event_ids)), "a webhook was delivered twice"
    except BaseException:
        kept = artifacts_keep(
            "test_scale_out",
            *tmp_path.glob("*.log"),
            tmp_path / "haproxy.cfg",
            tmp_path / "rabbitmq" / "log",
        )
        print(f"logs kept in {kept}")
        raise
    finally:
        for process in reversed(started):
            process.stop()
