"""Load benchmark of the customer chat against a bare echo consumer, in one run.

    .venv/bin/python benchmarks/chat_load.py [--connections 200] [--questions 5] [--services]
        [--split] [--workdir DIR]

Starts daphne itself (embedded default: a fresh SQLite database, in-memory
channel layer; with --services: PostgreSQL and channels-redis from
SERVICES_DATABASE_URL / SERVICES_REDIS_URL), loads the demo data, then opens N
concurrent customer connections that each give consent, identify and ask M
questions, waiting for each answer. The same N connections then send M
messages each to a bare echo consumer in the same daphne process. Printed:
messages/s and p50/p95/p99 reply latency of both, their ratio, the chat's set-up
latency (each of hello, consent and identify, and connect to identified), and lost and
duplicated messages counted from the acknowledgements and, once every customer
has asked all its questions, from each conversation's stored history (a resume).
Also this (client) process's CPU, which shares the machine with the server; until the
last customer was identified, the wall time and the server's and the client's CPU; and
the echo's connect to third reply, the floor of the chat's connect to identified.
--split adds two chat rounds (the questions, then twice as many) to tell the CPU of
a message from that of a session's set-up (connect, hello, consent, identify, the
history check and the close) and from the first round's one-off warm-up (models
loading), which the first figure shares over its questions.

The per-connection rate limit is raised for the run: it measures throughput,
not the limiter.
"""

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import websockets

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.isolation import isolated_environment  # noqa: E402

QUESTIONS = [
    "Wie hoch sind die Versandkosten?",
    "Wo ist meine Bestellung?",
    "Wie kann ich etwas zurückschicken?",
    "Welche Zahlungsarten gibt es?",
    "Wann habt ihr geöffnet?",
    "Kann ich meine Lieferadresse ändern?",
]


@dataclass
class QuestionsDone:
    """Every customer asks all its questions before any checks its stored history, so
    the checks (not part of the load) do not slow down the questions measured."""

    waiting: int
    event: asyncio.Event = field(default_factory=asyncio.Event)
    at: float = 0.0

    def arrive(self) -> None:
        self.waiting -= 1
        if self.waiting == 0:
            self.at = time.perf_counter()
            self.event.set()


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    # The chat's set-up: each of hello, consent and identify, and connect to identified.
    setup_latencies: list[float] = field(default_factory=list)
    ready_latencies: list[float] = field(default_factory=list)
    sent: int = 0
    acked: int = 0
    answered: int = 0
    lost: int = 0
    duplicated: int = 0
    errors: list[str] = field(default_factory=list)
    # The set-up storm: when the last of `connections` customers was identified, the
    # wall clock, this (client) process's CPU and the server's, each since the run began.
    connections: int = 0
    server_pid: int = 0
    started: tuple[float, float, float] = (0.0, 0.0, 0.0)
    all_identified: tuple[float, float, float] | None = None
    # This process's CPU over the run: the client shares the machine's cores with the
    # server, so a client that is the bottleneck shows here.
    client_cpu_s: float = 0.0

    def marks(self) -> tuple[float, float, float]:
        server = _cpu_seconds(self.server_pid) if self.server_pid else 0.0
        return time.perf_counter(), time.process_time(), server

    def identified(self, seconds: float) -> None:
        self.ready_latencies.append(seconds)
        if len(self.ready_latencies) == self.connections:
            self.all_identified = tuple(
                now - then for now, then in zip(self.marks(), self.started, strict=True)
            )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _environment(args: argparse.Namespace, workdir: Path) -> dict[str, str]:
    # Database, model files, Celery and mails in the run's own folder: demo_setup trains
    # models, and must never replace those of the checkout's installation (issue 27).
    env = {
        **isolated_environment(workdir),
        "CHAT_RATE_PER_SECOND": "1000",
        "CHAT_RATE_BURST": "1000",
    }
    if args.services:
        env["DATABASE_URL"] = os.environ.get(
            "SERVICES_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/supportdesk_bench"
        )
        env["REDIS_URL"] = os.environ.get("SERVICES_REDIS_URL", "redis://127.0.0.1:6379/0")
    else:
        env.pop("REDIS_URL", None)
    return env


def _prepare_database(env: dict[str, str], services: bool) -> None:
    manage = [sys.executable, str(ROOT / "manage.py")]
    if services:
        database = env["DATABASE_URL"].rsplit("/", 1)[1]
        subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", database])
        subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", database], check=True)
    subprocess.run([*manage, "migrate", "-v", "0"], env=env, check=True, cwd=ROOT)
    subprocess.run(
        [*manage, "demo_setup", "--force"], env=env, check=True, cwd=ROOT, stdout=subprocess.DEVNULL
    )


# --workdir: a workdir prepared once (migrated, the demo data, trained models) is used
# again, by a later run or, copied, by several (the test suite's chat benchmarks). Its
# database needs the keys it was written with (values encrypted and indexed with them,
# sessions signed): they are kept beside it; its paths follow from where the folder is.
WORKDIR_HELP = "keep the database and models here and use them again (default: a fresh one)"
WORKDIR_KEYS = ("DJANGO_SECRET_KEY", "FIELD_ENCRYPTION_KEY", "BLIND_INDEX_KEY")


def _workdir_environment(args: argparse.Namespace, workdir: Path) -> dict[str, str]:
    """The run's environment, with a migrated database, the demo data and trained models
    (demo_setup) in `workdir`: prepared now, or by an earlier run that kept its keys there."""
    env = _environment(args, workdir)
    kept = workdir / ("environment-services.json" if args.services else "environment.json")
    if kept.exists():
        kept_env = json.loads(kept.read_text())
        env.update({name: kept_env[name] for name in WORKDIR_KEYS})
    else:
        _prepare_database(env, args.services)
        kept.write_text(json.dumps({name: env[name] for name in WORKDIR_KEYS}))
    return env


def _start_server(
    env: dict[str, str],
    port: int,
    log: Path,
    *,
    application: str = "benchmarks.echo_asgi:application",
    ready_path: str = "/chat/",
) -> subprocess.Popen:
    """daphne serving `application`, once `ready_path` answers (also used by inbox_latency)."""
    command = [
        sys.executable,
        "-m",
        "daphne",
        "-b",
        "127.0.0.1",
        "-p",
        str(port),
        "--access-log",
        os.devnull,
        "--websocket_connect_timeout",
        "30",
        application,
    ]
    server = subprocess.Popen(
        command,
        env={**env, "PYTHONPATH": str(ROOT)},
        cwd=ROOT,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}{ready_path}", timeout=2)
            return server
        except OSError:
            if server.poll() is not None:
                break
            time.sleep(0.2)
    server.kill()
    raise SystemExit(f"daphne did not start:\n{log.read_text()}")


async def _receive(ws, timeout: float) -> dict:
    return json.loads(await asyncio.wait_for(ws.recv(), timeout))


async def _customer(
    url: str, origin: str, questions: int, tally: Tally, timeout: float, done: QuestionsDone
) -> None:
    arrived = False
    try:
        connecting = time.perf_counter()
        async with websockets.connect(url, origin=origin, open_timeout=60, max_queue=None) as ws:

            async def step(frame: dict) -> dict:
                started = time.perf_counter()
                await ws.send(json.dumps(frame))
                reply = await _receive(ws, timeout)
                tally.setup_latencies.append(time.perf_counter() - started)
                return reply

            welcome = await step({"type": "hello", "conversation": None, "lang": "de"})
            version = welcome["consent"]["policy_version"]
            await step({"type": "consent", "accept": True, "policy_version": version})
            await step(
                {
                    "type": "identify",
                    "name": "Test Kunde",
                    "email": f"{uuid.uuid4().hex}@example.org",
                }
            )
            tally.identified(time.perf_counter() - connecting)
            seen_seqs: set[int] = set()
            for n in range(questions):
                client_id = uuid.uuid4().hex
                started = time.perf_counter()
                await ws.send(
                    json.dumps(
                        {"type": "message", "id": client_id, "text": QUESTIONS[n % len(QUESTIONS)]}
                    )
                )
                tally.sent += 1
                acked = answered = False
                while not answered:
                    try:
                        frame = await _receive(ws, timeout)
                    except TimeoutError:
                        break
                    if frame["type"] == "ack" and frame["id"] == client_id:
                        tally.duplicated += frame["seq"] in seen_seqs or acked
                        seen_seqs.add(frame["seq"])
                        acked = True
                    elif (
                        frame["type"] == "message"
                        and frame["from"] in ("bot", "system")
                        # Not the greeting after identification (not stored: no seq).
                        and frame.get("seq") is not None
                    ):
                        tally.duplicated += frame["seq"] in seen_seqs
                        seen_seqs.add(frame["seq"])
                        answered = True
                        tally.latencies.append(time.perf_counter() - started)
                    elif frame["type"] == "error":
                        tally.errors.append(frame["code"])
                        break
                tally.acked += acked
                tally.answered += answered
                tally.lost += not acked
            arrived = True
            done.arrive()
            await done.event.wait()
            # The conversation as stored must hold every question exactly once.
            await ws.send(json.dumps({"type": "hello", "conversation": welcome["conversation"]}))
            history = (await _receive(ws, timeout))["history"]
            stored_questions = [m for m in history if m["from"] == "customer"]
            tally.lost += max(0, questions - len(stored_questions))
            tally.duplicated += len(history) - len({m["seq"] for m in history})
    except Exception as error:  # counted, not raised: one failure must not hide the rest
        tally.errors.append(f"{type(error).__name__}: {error}")
    finally:
        if not arrived:
            done.arrive()


async def _echo(url: str, origin: str, messages: int, tally: Tally, timeout: float) -> None:
    try:
        connecting = time.perf_counter()
        async with websockets.connect(url, origin=origin, open_timeout=60, max_queue=None) as ws:
            for n in range(messages):
                payload = json.dumps({"type": "message", "id": n, "text": QUESTIONS[0]})
                started = time.perf_counter()
                await ws.send(payload)
                tally.sent += 1
                reply = await asyncio.wait_for(ws.recv(), timeout)
                tally.latencies.append(time.perf_counter() - started)
                tally.acked += reply == payload
                tally.answered += reply == payload
                tally.lost += reply != payload
                if n == min(messages, 3) - 1:
                    # The floor of the chat's connect to identified: a connection and
                    # three round trips (hello, consent, identify) through the same server.
                    tally.identified(time.perf_counter() - connecting)
    except Exception as error:
        tally.errors.append(f"{type(error).__name__}: {error}")


async def _run(
    kind: str, port: int, connections: int, per_connection: int, server_pid: int = 0
) -> tuple[Tally, float]:
    origin = f"http://127.0.0.1:{port}"
    tally = Tally(connections=connections, server_pid=server_pid)
    tally.started = tally.marks()
    started, client_cpu = tally.started[0], tally.started[1]
    done = QuestionsDone(waiting=connections)
    if kind == "chat":
        jobs = [
            _customer(f"ws://127.0.0.1:{port}/ws/chat/", origin, per_connection, tally, 60, done)
            for _ in range(connections)
        ]
    else:
        jobs = [
            _echo(f"ws://127.0.0.1:{port}/ws/echo/", origin, per_connection, tally, 60)
            for _ in range(connections)
        ]
    await asyncio.gather(*jobs)
    tally.client_cpu_s = time.process_time() - client_cpu
    # The chat's rate: until the last question was answered (the history checks follow).
    finished = done.at if kind == "chat" else time.perf_counter()
    return tally, finished - started


def _percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000


def _report(name: str, tally: Tally, seconds: float) -> dict:
    figures = {
        "messages_per_second": tally.answered / seconds if seconds else 0.0,
        "p50_ms": _percentile(tally.latencies, 0.50),
        "p95_ms": _percentile(tally.latencies, 0.95),
        "p99_ms": _percentile(tally.latencies, 0.99),
        "sent": tally.sent,
        "answered": tally.answered,
        "lost": tally.lost,
        "duplicated": tally.duplicated,
        "errors": len(tally.errors),
    }
    print(
        f"{name:<6} {figures['messages_per_second']:8.1f} msg/s   p50 {figures['p50_ms']:7.1f} ms"
        f"   p95 {figures['p95_ms']:7.1f} ms   p99 {figures['p99_ms']:7.1f} ms   "
        f"sent {tally.sent}  answered {tally.answered}  lost {tally.lost}  "
        f"duplicated {tally.duplicated}  errors {len(tally.errors)}"
    )
    if tally.ready_latencies:
        figures["ready_p95_ms"] = _percentile(tally.ready_latencies, 0.95)
    if tally.setup_latencies:
        figures["setup_p50_ms"] = _percentile(tally.setup_latencies, 0.50)
        figures["setup_p95_ms"] = _percentile(tally.setup_latencies, 0.95)
        print(
            f"{'':<6} set-up steps (hello, consent, identify) p50 {figures['setup_p50_ms']:.1f} ms"
            f"   p95 {figures['setup_p95_ms']:.1f} ms;   connect to identified"
            f" p95 {figures['ready_p95_ms']:.1f} ms"
        )
    elif tally.ready_latencies:
        print(
            f"{'':<6} connect to the third reply (the floor of the chat's connect to"
            f" identified) p95 {figures['ready_p95_ms']:.1f} ms"
        )
    figures["client_cpu_ms_a_connection"] = tally.client_cpu_s / max(tally.connections, 1) * 1000
    print(
        f"{'':<6} client CPU (this process) {tally.client_cpu_s:.2f} s,"
        f" {figures['client_cpu_ms_a_connection']:.2f} ms a connection"
    )
    if tally.all_identified is not None:
        wall, client, server = tally.all_identified
        figures["all_identified_s"] = wall
        figures["all_identified_server_cpu_s"] = server
        figures["all_identified_client_cpu_s"] = client
        print(
            f"{'':<6} until the last customer was identified: {wall:.2f} s, server CPU"
            f" {server:.2f} s, client CPU {client:.2f} s ({wall * 2:.2f} core-seconds on 2 cores)"
        )
    if tally.errors:
        print(f"       first errors: {sorted(set(tally.errors))[:5]}")
    return figures


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux): robust to other load."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _split(port: int, args: argparse.Namespace, cpu_first: float, pid: int) -> dict:
    """The chat's CPU per message above includes each session's set-up (connect, hello,
    consent, identify, the history check, close) shared over its questions, and the
    process's one-off warm-up (the first chat loads the NLU and name models). Two more
    rounds of new sessions, with the questions and with twice as many, tell them apart:
    the extra questions' CPU is the questions' alone; what the first round cost beyond
    the second is the warm-up."""
    cpu = []
    for questions in (args.questions, 2 * args.questions):
        cpu_before = _cpu_seconds(pid)
        tally, _seconds = asyncio.run(_run("chat", port, args.connections, questions, pid))
        cpu.append(_cpu_seconds(pid) - cpu_before)
        if tally.errors or tally.lost or tally.duplicated:
            print(
                f"round of {questions} questions: {len(tally.errors)} errors, {tally.lost} lost,"
                f" {tally.duplicated} duplicated (the split below is off by them)"
            )
    per_message = (cpu[1] - cpu[0]) / (args.connections * args.questions) * 1000
    per_session = cpu[0] / args.connections * 1000 - args.questions * per_message
    print(
        f"chat server CPU, from two more rounds ({args.questions} and {2 * args.questions}"
        f" questions a session): {per_message:.2f} ms a message, {per_session:.2f} ms a"
        f" session's set-up, {cpu_first - cpu[0]:.1f} s the first round's warm-up"
    )
    return {
        "server_cpu_ms_a_message": per_message,
        "server_cpu_ms_a_session": per_session,
        "server_cpu_s_warm_up": cpu_first - cpu[0],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--connections", type=int, default=200)
    parser.add_argument("--questions", type=int, default=5)
    parser.add_argument("--services", action="store_true", help="PostgreSQL + channels-redis")
    parser.add_argument("--json", action="store_true", help="also print the figures as JSON")
    parser.add_argument(
        "--split",
        action="store_true",
        help="and two more chat rounds: CPU per message, per session and the warm-up",
    )
    parser.add_argument("--workdir", type=Path, help=WORKDIR_HELP)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="supportdesk-bench-") as tmp:
        workdir = args.workdir or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        env = _workdir_environment(args, workdir)
        port = _free_port()
        server = _start_server(env, port, workdir / "daphne.log")
        try:
            mode = "PostgreSQL + channels-redis" if args.services else "SQLite + in-memory layer"
            print(f"{args.connections} connections x {args.questions} messages, {mode}")
            cpu_before = _cpu_seconds(server.pid)
            echo = _report(
                "echo",
                *asyncio.run(_run("echo", port, args.connections, args.questions, server.pid)),
            )
            cpu_echo = _cpu_seconds(server.pid)
            chat = _report(
                "chat",
                *asyncio.run(_run("chat", port, args.connections, args.questions, server.pid)),
            )
            cpu_chat = _cpu_seconds(server.pid)
            # Server CPU per message (the chat's includes each connection's consent,
            # identification and history check): what the latency ratio comes down to.
            echo["server_cpu_ms"] = (cpu_echo - cpu_before) / max(echo["sent"], 1) * 1000
            chat["server_cpu_ms"] = (cpu_chat - cpu_echo) / max(chat["sent"], 1) * 1000
            print(
                f"server CPU per message: echo {echo['server_cpu_ms']:.2f} ms, "
                f"chat {chat['server_cpu_ms']:.2f} ms"
            )
            if args.split:
                chat.update(_split(port, args, cpu_chat - cpu_echo, server.pid))
        finally:
            server.terminate()
            server.wait(timeout=20)
    ratio = chat["p95_ms"] / echo["p95_ms"] if echo["p95_ms"] else float("nan")
    throughput = chat["messages_per_second"] / echo["messages_per_second"]
    ready_ratio = chat.get("ready_p95_ms", float("nan")) / echo.get("ready_p95_ms", float("nan"))
    print(
        f"chat/echo: p95 latency x{ratio:.2f}, throughput x{throughput:.2f}, connect to"
        f" identified p95 x{ready_ratio:.2f} the echo's connect to third reply"
    )
    if args.json:
        print(
            json.dumps({"echo": echo, "chat": chat, "p95_ratio": ratio, "ready_ratio": ready_ratio})
        )
    clean = chat["lost"] == chat["duplicated"] == chat["errors"] == 0
    return 0 if clean else 1


if __name__ == "__main__":
    sys.exit(main())
