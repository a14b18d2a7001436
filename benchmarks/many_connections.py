"""Many connections: 10,000 open chat sockets across two daphne processes, 1 % active.

    .venv/bin/python benchmarks/many_connections.py [--connections 10000] [--active-share 0.01]
        [--questions 5] [--think 2] [--json]

On PostgreSQL (SERVICES_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/supportdesk_many_connections, recreated with the demo
data) and a private Redis (the channel layer both processes share), two daphne processes
are started. The sockets are spread over them evenly and connected directly: HAProxy
needs two descriptors per connection (client side and server side), and this machine
kind caps a process at 20,000 (`ulimit -Hn`), so 10,000 connections cannot pass one
balancer process; tests/supportdesk/test_scale_out.py and benchmarks/scale_out.py cover
the path through the balancer.

Each idle socket says hello (a new conversation is offered, nothing is stored before
consent) and then stays open. While all are open, the active share consents, identifies
and asks `--questions` questions with `--think` seconds between them; every step is
timed. At the end every idle socket must still be open and answer a ping.

Printed: connection errors and sockets closed by the server (both must be 0), the time
to open all and the handshake-to-welcome p50/p95/p99, the resident memory of each daphne
process before and after (memory per idle connection = the growth / its connections), and
the active customers' step latencies (connect to identified, message to acknowledgement,
message to the bot's answer) p50/p95/p99 while the rest is open.
"""

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

import websockets

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.scale_out import ChatCustomer, _percentile  # noqa: E402  (after sys.path)

QUESTIONS = [
    "Wie hoch sind die Versandkosten?",
    "Wie kann ich meine Bestellung zurückgeben?",
    "Welche Zahlungsarten gibt es?",
    "Wie lange dauert die Lieferung?",
    "Kann ich meine Adresse ändern?",
]
OPEN_CONCURRENCY = 200  # handshakes in flight at once (a page load burst, not a flood)


def resident_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


class IdleSocket:
    """A chat socket that said hello and waits; `closed` once the server closes it."""

    def __init__(self, url: str) -> None:
        self.url, self.ws, self.closed, self.welcome_seconds = url, None, False, 0.0

    async def open(self, timeout: float) -> None:
        started = time.perf_counter()
        origin = self.url.replace("ws", "http", 1).split("/ws/")[0]
        self.ws = await websockets.connect(
            self.url, origin=origin, open_timeout=timeout, ping_interval=None, max_queue=4
        )
        await self.ws.send(json.dumps({"type": "hello", "conversation": None, "lang": "de"}))
        async with asyncio.timeout(timeout):
            while True:
                frame = json.loads(await self.ws.recv())
                if frame.get("type") == "welcome":
                    break
        self.welcome_seconds = time.perf_counter() - started
        asyncio.create_task(self._watch())

    async def _watch(self) -> None:
        try:
            async for _frame in self.ws:
                pass
        except websockets.ConnectionClosed:
            pass
        self.closed = True

    async def still_open(self) -> bool:
        if self.closed:
            return False
        try:
            pong = await self.ws.ping()
            await asyncio.wait_for(pong, 30)
            return True
        except (websockets.ConnectionClosed, TimeoutError):
            return False


async def sockets_open(urls: list[str], timeout: float) -> tuple[list[IdleSocket], list[str]]:
    limit = asyncio.Semaphore(OPEN_CONCURRENCY)
    sockets = [IdleSocket(url) for url in urls]
    errors: list[str] = []

    async def one(socket: IdleSocket) -> None:
        async with limit:
            try:
                await socket.open(timeout)
            except (OSError, websockets.WebSocketException, TimeoutError) as error:
                errors.append(repr(error))

    await asyncio.gather(*(one(socket) for socket in sockets))
    return [socket for socket in sockets if socket.ws is not None and not socket.closed], errors


async def active_customer(base_url: str, args, steps: dict[str, list[float]], errors: list):
    customer = ChatCustomer(base_url)
    try:
        steps["connect to identified"].append(await customer.start())
        for question in QUESTIONS[: args.questions]:
            await asyncio.sleep(args.think)
            start = len(customer.frames)
            sent = time.perf_counter()
            client_id = await customer.send(f"{question} ({uuid.uuid4().hex[:6]})")
            await customer.wait_for(lambda c=client_id: customer.acked.get(c), "ack")
            steps["message to acknowledgement"].append(time.perf_counter() - sent)
            await customer.wait_for(
                lambda start=start: any(
                    f.get("type") == "message" and f.get("from") == "bot"
                    for f in customer.frames[start:]
                ),
                "the bot's answer",
            )
            steps["message to the bot's answer"].append(time.perf_counter() - sent)
    except (AssertionError, OSError, websockets.WebSocketException) as error:
        errors.append(repr(error))
    finally:
        if customer.ws is not None:
            await customer.ws.close()


def _steps() -> dict[str, list[float]]:
    return {
        "connect to identified": [],
        "message to acknowledgement": [],
        "message to the bot's answer": [],
    }


async def run(servers: list, args) -> dict:
    urls = [
        f"ws://127.0.0.1:{servers[n % len(servers)].port}/ws/chat/" for n in range(args.connections)
    ]
    # Warm-up: each process loads its models and opens its pools before the baseline.
    warm_up = argparse.Namespace(questions=1, think=0)
    warm_errors: list[str] = []
    await asyncio.gather(
        *(
            active_customer(f"http://127.0.0.1:{server.port}", warm_up, _steps(), warm_errors)
            for server in servers
        )
    )
    if warm_errors:
        raise AssertionError(f"warm-up failed: {warm_errors}")
    await asyncio.sleep(2)
    rss_before = {server.name: resident_kib(server.process.pid) for server in servers}
    started = time.perf_counter()
    sockets, connect_errors = await sockets_open(urls, timeout=60)
    open_seconds = time.perf_counter() - started
    await asyncio.sleep(5)  # let the servers settle (garbage, buffers) before measuring
    rss_after = {server.name: resident_kib(server.process.pid) for server in servers}

    steps = _steps()
    active_errors: list[str] = []
    active = max(1, round(args.connections * args.active_share))
    bases = [f"http://127.0.0.1:{servers[n % len(servers)].port}" for n in range(active)]
    await asyncio.gather(*(active_customer(base, args, steps, active_errors) for base in bases))

    alive = await asyncio.gather(*(socket.still_open() for socket in sockets))
    closed_by_server = len(sockets) - sum(alive)
    for socket in sockets:
        await socket.ws.close()
    per_server = args.connections / len(servers)
    return {
        "connections": args.connections,
        "processes": len(servers),
        "connect_errors": len(connect_errors),
        "connect_error_examples": connect_errors[:3],
        "closed_by_server": closed_by_server,
        "open_all_seconds": round(open_seconds, 1),
        "welcome_ms": {
            f"p{int(q * 100)}": round(_percentile([s.welcome_seconds for s in sockets], q), 1)
            for q in (0.5, 0.95, 0.99)
        },
        "rss_mib_before": {k: round(v / 1024, 1) for k, v in rss_before.items()},
        "rss_mib_after": {k: round(v / 1024, 1) for k, v in rss_after.items()},
        "kib_per_idle_connection": {
            name: round((rss_after[name] - rss_before[name]) / per_server, 1) for name in rss_before
        },
        "active_customers": active,
        "active_errors": len(active_errors),
        "active_error_examples": active_errors[:3],
        "active_steps_ms": {
            step: {f"p{int(q * 100)}": round(_percentile(values, q), 1) for q in (0.5, 0.95, 0.99)}
            | {"n": len(values)}
            for step, values in steps.items()
        },
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--connections", type=int, default=10_000)
    parser.add_argument("--active-share", type=float, default=0.01)
    parser.add_argument("--questions", type=int, default=5)
    parser.add_argument("--think", type=float, default=2.0, help="seconds between questions")
    parser.add_argument("--json", action="store_true", help="also print the figures as JSON")
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "supportdesk.settings.test")
    from benchmarks.chat_load import _environment, _prepare_database
    from tests.processes import daphne_process, redis_process

    os.environ.setdefault(
        "SERVICES_DATABASE_URL",
        "postgres://postgres@127.0.0.1:5432/supportdesk_many_connections",
    )
    with tempfile.TemporaryDirectory(prefix="supportdesk-many-connections-") as tmp:
        workdir = Path(tmp)
        redis = redis_process(workdir).start()
        os.environ["SERVICES_REDIS_URL"] = redis.url
        env = _environment(argparse.Namespace(services=True), workdir)
        env["SUPPORT_OPENING_HOURS"] = ""
        started = [redis]
        try:
            _prepare_database(env, True)
            servers = [
                daphne_process(workdir / f"daphne-{name}.log", env).launch() for name in ("a", "b")
            ]
            started += servers
            for server in servers:
                server.wait_ready()
            result = asyncio.run(run(servers, args))
        except BaseException:
            for process in started:
                print(f"--- {process.name}\n{process.log_tail(2000)}", file=sys.stderr)
            raise
        finally:
            for process in reversed(started):
                process.stop()

    print(
        f"{result['connections']:,} chat sockets on {result['processes']} daphne processes "
        f"(PostgreSQL + Redis), {result['active_customers']} of them active"
    )
    print(
        f"connect errors {result['connect_errors']}   closed by the server "
        f"{result['closed_by_server']}   active customers' errors {result['active_errors']}"
    )
    welcome = result["welcome_ms"]
    print(
        f"all open in {result['open_all_seconds']} s; handshake to welcome "
        f"p50 {welcome['p50']} ms  p95 {welcome['p95']} ms  p99 {welcome['p99']} ms"
    )
    for name, per in result["kib_per_idle_connection"].items():
        print(
            f"daphne {name}: {result['rss_mib_before'][name]} MiB -> "
            f"{result['rss_mib_after'][name]} MiB resident, {per} KiB per idle connection"
        )
    for step, figures in result["active_steps_ms"].items():
        print(
            f"{step:28} p50 {figures['p50']:8.1f} ms  p95 {figures['p95']:8.1f} ms  "
            f"p99 {figures['p99']:8.1f} ms  (n={figures['n']})"
        )
    if args.json:
        print(json.dumps(result))
    failed = result["connect_errors"] or result["closed_by_server"] or result["active_errors"]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
