"""Open-loop load benchmark of the customer chat against a bare echo consumer, in one run.

    .venv/bin/python benchmarks/chat_open_loop.py [--services] [--processes 2] [--verbose]
        [--workdir DIR]

Where chat_load.py keeps N connections busy (closed loop: a slow server slows the
arrivals), here new conversations arrive at a set rate whatever the server does
(Poisson arrivals): each connects, says hello, consents, identifies and asks five
questions with a think time between them. For each arrival rate tried it records
the p50/p95/p99 of every step (connect, hello, consent, identify, answer) and of
the whole first answer (connect to the first answer), errors, lost and
duplicated messages; and it searches the highest sustainable arrival rate, at
which every step's p95 stays within 300 ms with no error and nothing lost:
doubling from --start-rate, then bisecting, each level --level-seconds of arrivals.
The same search runs an echo session (the same frames against the bare echo
consumer in the same daphne process) as the floor, and the chat's figures are
printed as ratios to the echo's, also at the chat's best rate.

Server start-up, environment, database and isolation are chat_load.py's (the
per-connection rate limit is raised: this measures the server, not the limiter).
--services: PostgreSQL + channels-redis (SERVICES_DATABASE_URL, SERVICES_REDIS_URL);
--processes 2: two daphne processes behind HAProxy (Debian's, `make haproxy`),
which needs --services. Per level it also splits the machine's CPU time between the
daphne process(es), this client (the load generator shares the cores), the PostgreSQL
backends of the run's database, the Redis server, the balancer, the rest of the machine
and idle (CpuSplit); printed for each search's best level and first level not
sustained, in the JSON per level. --verbose: after the search, sessions run one at a time and
the server's CPU time, SQL statements and SQL time are printed per step, with the
statements that cost most (benchmarks/counting_asgi.py counts them).
"""

import argparse
import asyncio
import json
import os
import random
import sys
import tempfile
import time
import urllib.request
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import websockets

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.chat_load import (  # noqa: E402
    QUESTIONS,
    WORKDIR_HELP,
    _cpu_seconds,
    _free_port,
    _percentile,
    _start_server,
    _workdir_environment,
)

STEPS = ("connect", "hello", "consent", "identify", "answer")
# Reported too, but not held to the per-step limit: it is the sum of the steps above.
FIRST_ANSWER = "first_answer"
FRAME_TIMEOUT = 30.0
SETTLE_SECONDS = 0.05
WARM_UP_SESSIONS = 3


@dataclass
class Level:
    """The sessions that arrived at one rate, and what they measured."""

    rate: float
    latencies: dict[str, list[float]] = field(
        default_factory=lambda: {step: [] for step in (*STEPS, FIRST_ANSWER)}
    )
    sessions: int = 0
    completed: int = 0
    sent: int = 0
    lost: int = 0
    duplicated: int = 0
    errors: list[str] = field(default_factory=list)
    frames: int = 0  # frames the client sent: the denominator of CPU per message
    seconds: float = 0.0
    server_cpu: float = 0.0
    # CPU seconds in the level of everything on the machine (CpuSplit): the server, this
    # client, PostgreSQL, Redis, the balancer, the rest (other jobs) and idle.
    cpu_split: dict[str, float] = field(default_factory=dict)

    def percentiles(self, step: str) -> dict[str, float]:
        values = self.latencies[step]
        return {f"p{int(q * 100)}_ms": _percentile(values, q) for q in (0.5, 0.95, 0.99)}

    def sustained(self, limit_ms: float) -> bool:
        return (
            self.completed == self.sessions > 0
            and not self.errors
            and self.lost == self.duplicated == 0
            and all(self.percentiles(step)["p95_ms"] <= limit_ms for step in STEPS)
        )

    def figures(self, limit_ms: float) -> dict:
        return {
            "rate": self.rate,
            "sessions": self.sessions,
            "completed": self.completed,
            "sustained": self.sustained(limit_ms),
            "steps": {step: self.percentiles(step) for step in (*STEPS, FIRST_ANSWER)},
            "sent": self.sent,
            "lost": self.lost,
            "duplicated": self.duplicated,
            "errors": len(self.errors),
            "first_errors": sorted(set(self.errors))[:5],
            "server_cpu_ms_per_frame": self.server_cpu / max(self.frames, 1) * 1000,
            "seconds": self.seconds,
            "cpu_seconds": self.cpu_split,
        }


class Session:
    """One visitor: the chat's set-up and questions, or the same frames to the echo.

    `step` sends a frame and times it until the frame that answers it: for the chat the
    server's reply (an acknowledgement first for a question, then the bot's answer), for
    the echo the frame itself coming back."""

    def __init__(self, kind: str, base_url: str, level: Level, questions: int, think: float):
        self.kind, self.level, self.questions, self.think = kind, level, questions, think
        path = "/ws/chat/" if kind == "chat" else "/ws/echo/"
        self.url = base_url.replace("http", "ws", 1) + path
        self.origin = base_url
        self.seen_seqs: set[int] = set()

    def _record(self, step: str, started: float) -> None:
        self.level.latencies[step].append(time.perf_counter() - started)

    async def _send(self, ws, frame: dict) -> str:
        payload = json.dumps(frame)
        await ws.send(payload)
        self.level.frames += 1
        return payload

    async def _receive(self, ws) -> dict:
        return json.loads(await asyncio.wait_for(ws.recv(), FRAME_TIMEOUT))

    async def _setup_step(self, ws, step: str, frame: dict) -> dict:
        started = time.perf_counter()
        payload = await self._send(ws, frame)
        reply = await self._receive(ws)
        if self.kind == "echo" and reply != json.loads(payload):
            raise AssertionError(f"the echo of {step} differs")
        if reply.get("type") == "error":
            raise AssertionError(f"{step}: {reply.get('code')}")
        self._record(step, started)
        return reply

    async def _question(self, ws, text: str) -> bool:
        """Asks; True once answered. Counts lost (never acknowledged) and duplicated."""
        client_id = uuid.uuid4().hex
        started = time.perf_counter()
        payload = await self._send(ws, {"type": "message", "id": client_id, "text": text})
        self.level.sent += 1
        if self.kind == "echo":
            echoed = await asyncio.wait_for(ws.recv(), FRAME_TIMEOUT) == payload
            self.level.lost += not echoed
            if echoed:
                self._record("answer", started)
            return echoed
        acked = False
        while True:
            try:
                frame = await self._receive(ws)
            except TimeoutError:
                break
            if frame["type"] == "ack" and frame["id"] == client_id:
                self.level.duplicated += frame["seq"] in self.seen_seqs or acked
                self.seen_seqs.add(frame["seq"])
                acked = True
            elif (
                frame["type"] == "message"
                and frame["from"] in ("bot", "system")
                # Not the greeting after identification (not stored: no seq).
                and frame.get("seq") is not None
            ):
                self.level.duplicated += frame["seq"] in self.seen_seqs
                self.seen_seqs.add(frame["seq"])
                self._record("answer", started)
                self.level.lost += not acked
                return True
            elif frame["type"] == "error":
                self.level.errors.append(frame["code"])
                break
        self.level.lost += not acked
        return False

    async def run(self) -> None:
        self.level.sessions += 1
        try:
            connecting = time.perf_counter()
            async with websockets.connect(
                self.url, origin=self.origin, open_timeout=FRAME_TIMEOUT, max_queue=None
            ) as ws:
                self._record("connect", connecting)
                welcome = await self._setup_step(
                    ws, "hello", {"type": "hello", "conversation": None, "lang": "de"}
                )
                version = welcome.get("consent", {}).get("policy_version", 1)
                await self._setup_step(
                    ws, "consent", {"type": "consent", "accept": True, "policy_version": version}
                )
                email = f"{uuid.uuid4().hex}@example.org"
                await self._setup_step(
                    ws, "identify", {"type": "identify", "name": "Test Kunde", "email": email}
                )
                for n in range(self.questions):
                    if n:
                        await asyncio.sleep(self.think)
                    answered = await self._question(ws, QUESTIONS[n % len(QUESTIONS)])
                    if n == 0 and answered:
                        self._record(FIRST_ANSWER, connecting)
                if self.kind == "chat":
                    await self._history_check(ws, welcome["conversation"])
            self.level.completed += 1
        except Exception as error:  # counted, not raised: one failure must not hide the rest
            self.level.errors.append(f"{type(error).__name__}: {error}")

    async def _history_check(self, ws, conversation: str) -> None:
        """The conversation as stored holds every question exactly once (untimed)."""
        await self._send(ws, {"type": "hello", "conversation": conversation})
        history = (await self._receive(ws))["history"]
        stored = [m for m in history if m["from"] == "customer"]
        self.level.lost += max(0, self.questions - len(stored))
        self.level.duplicated += len(history) - len({m["seq"] for m in history})


async def _level_run(kind: str, base_url: str, rate: float, args, randomness) -> Level:
    """Sessions arriving at `rate` per second (Poisson: exponential gaps, the first at
    once) for `args.level_seconds`; waits until each has finished or failed."""
    level = Level(rate)
    sessions = []
    started = time.perf_counter()
    arrival = 0.0
    while arrival < args.level_seconds:
        delay = started + arrival - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        session = Session(kind, base_url, level, args.questions, args.think)
        sessions.append(asyncio.create_task(session.run()))
        arrival += randomness.expovariate(rate)
    await asyncio.gather(*sessions)
    level.seconds = time.perf_counter() - started
    return level


class Server:
    """The daphne process(es) measured, and the base URL the clients use."""

    def __init__(self, processes: list, base_url: str, balancer_pid: int | None = None) -> None:
        self.processes, self.base_url, self.balancer_pid = processes, base_url, balancer_pid
        self.cpu_split: CpuSplit | None = None

    def cpu_seconds(self) -> float:
        return sum(_cpu_seconds(process.pid) for process in self.processes)

    def cpu_seconds_exact(self) -> float:
        """The same to the nanosecond, from each thread's schedstat (Linux): for one step
        at a time, where clock ticks (10 ms) would be too coarse."""
        total = 0
        for process in self.processes:
            for thread in Path(f"/proc/{process.pid}/task").iterdir():
                try:
                    total += int((thread / "schedstat").read_text().split()[0])
                except (OSError, IndexError):  # the thread ended meanwhile
                    pass
        return total / 1e9


def _process_cpu_seconds(pid: int) -> float:
    """CPU seconds of a process so far, every thread of it, those ended too (/proc/<pid>/stat,
    clock ticks: fine over a level; a thread's own schedstat would lose an ended thread's
    time); 0 once the process is gone."""
    try:
        return _cpu_seconds(pid)
    except (OSError, IndexError, ValueError):
        return 0.0


def _machine_cpu_seconds() -> tuple[float, float]:
    """(busy, idle) CPU seconds of the whole machine so far, every core (/proc/stat)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle, iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK"), idle / os.sysconf("SC_CLK_TCK")


class CpuSplit:
    """Where the machine's CPU went during a level: the daphne process(es), this client
    (the load generator shares the cores), the PostgreSQL backends of the run's database,
    the Redis server (shared with whatever else uses it), the balancer, the rest of the
    machine (other jobs) and idle. Processes looked up by pid on this machine."""

    def __init__(self, server: "Server", env: dict[str, str], balancer_pid: int | None) -> None:
        self.server, self.balancer_pid = server, balancer_pid
        self.database_url = env.get("DATABASE_URL", "")
        self.redis_pid = self._redis_pid(env.get("REDIS_URL", ""))
        self._connection = None

    @staticmethod
    def _redis_pid(url: str) -> int | None:
        if not url:
            return None
        import redis

        try:
            return int(redis.Redis.from_url(url).info("server")["process_id"])
        except Exception:  # noqa: BLE001  (not on this machine, or unreachable: not counted)
            return None

    def _database_pids(self) -> list[int]:
        if not self.database_url.startswith("postgres"):
            return []
        if self._connection is None:
            import psycopg

            self._connection = psycopg.connect(
                self.database_url.replace("postgres://", "postgresql://", 1), autocommit=True
            )
        return [
            pid
            for (pid,) in self._connection.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
                " AND backend_type = 'client backend' AND pid <> pg_backend_pid()"
            )
        ]

    def snapshot(self) -> dict:
        database = {pid: _process_cpu_seconds(pid) for pid in self._database_pids()}
        busy, idle = _machine_cpu_seconds()
        return {
            "server": sum(_process_cpu_seconds(p.pid) for p in self.server.processes),
            "client": time.process_time(),
            "database": database,
            "redis": _process_cpu_seconds(self.redis_pid) if self.redis_pid else 0.0,
            "balancer": _process_cpu_seconds(self.balancer_pid) if self.balancer_pid else 0.0,
            "machine": busy,
            "idle": idle,
        }

    @staticmethod
    def difference(before: dict, after: dict) -> dict[str, float]:
        split = {
            part: after[part] - before[part]
            for part in ("server", "client", "redis", "balancer", "machine", "idle")
        }
        # Backends that opened during the level count from zero; those that closed, not.
        split["database"] = sum(
            seconds - before["database"].get(pid, 0.0) for pid, seconds in after["database"].items()
        )
        measured = sum(split[p] for p in ("server", "client", "database", "redis", "balancer"))
        split["other"] = max(0.0, split.pop("machine") - measured)
        return {part: round(seconds, 3) for part, seconds in split.items()}


def _level_measure(kind: str, server: Server, rate: float, args, randomness) -> Level:
    cpu_before = server.cpu_seconds()
    split_before = server.cpu_split.snapshot() if server.cpu_split else None
    level = asyncio.run(_level_run(kind, server.base_url, rate, args, randomness))
    level.server_cpu = server.cpu_seconds() - cpu_before
    if split_before is not None:
        level.cpu_split = server.cpu_split.difference(split_before, server.cpu_split.snapshot())
    step_p95 = "  ".join(
        f"{step} {level.percentiles(step)['p95_ms']:6.0f}" for step in (*STEPS, FIRST_ANSWER)
    )
    print(
        f"  {kind:<4} {rate:7.2f}/s  {level.completed:4d}/{level.sessions:<4d} sessions   "
        f"p95 ms: {step_p95}   lost {level.lost} dup {level.duplicated} "
        f"errors {len(level.errors)}   {'ok' if level.sustained(args.p95_limit_ms) else 'over'}",
        flush=True,
    )
    return level


def _highest_sustained(kind: str, server: Server, args, randomness) -> tuple:
    """Doubling from --start-rate while sustained (up to --max-rate), then bisecting
    between the last rate sustained and the first not. The best level (None if even the
    lowest tried was not sustained), all levels tried, and whether --max-rate capped it."""
    # Unmeasured sessions first: the first chat loads the bot's models and warms caches,
    # which would otherwise count against the first level (a 400 ms hello, once).
    for _ in range(WARM_UP_SESSIONS):
        asyncio.run(Session(kind, server.base_url, Level(0.0), args.questions, 0.0).run())
    tried: list[Level] = []
    best: Level | None = None
    low, high = 0.0, None
    rate = args.start_rate
    while rate <= args.max_rate:
        level = _level_measure(kind, server, rate, args, randomness)
        tried.append(level)
        if not level.sustained(args.p95_limit_ms):
            high = rate
            break
        best, low = level, rate
        rate *= 2
    for _ in range(args.bisections if high is not None else 0):
        rate = round((low + high) / 2, 2)
        if rate in (low, high) or rate <= 0:
            break
        level = _level_measure(kind, server, rate, args, randomness)
        tried.append(level)
        if level.sustained(args.p95_limit_ms):
            best, low = level, rate
        else:
            high = rate
    return best, tried, high is None


def _stats(server: Server) -> dict:
    """The SQL counters of every daphne process, summed (asked directly, not through the
    balancer)."""
    total = {"statements": Counter(), "seconds": Counter(), "trips": Counter()}
    for process in server.processes:
        url = f"http://127.0.0.1:{process.port}/bench/sql/"
        with urllib.request.urlopen(url, timeout=10) as answer:
            stats = json.loads(answer.read())
        for key in total:
            total[key].update(stats[key])
    return total


class MeasuredSession(Session):
    """A session run alone whose set-up steps and questions each note the server's CPU
    time and SQL counters before the frame is sent and once it is answered."""

    def __init__(self, kind, server, questions: int, per_step: dict, statement_seconds: Counter):
        super().__init__(kind, server.base_url, Level(0.0), questions, 0.0)
        self.server, self.per_step, self.statement_seconds = server, per_step, statement_seconds

    async def _send(self, ws, frame):
        stats = _stats(self.server)  # first: the request for them costs server CPU too
        self.mark = (self.server.cpu_seconds_exact(), stats)
        return await super()._send(ws, frame)

    def _record(self, step, started):
        super()._record(step, started)
        if step not in self.per_step:
            return
        time.sleep(SETTLE_SECONDS)  # work the server does after its reply counts too
        cpu, stats = self.server.cpu_seconds_exact(), _stats(self.server)
        before = self.mark[1]
        row = self.per_step[step]
        row["count"] += 1
        row["cpu"] += cpu - self.mark[0]
        row["statements"] += sum(stats["statements"].values()) - sum(before["statements"].values())
        row["sql"] += sum(stats["seconds"].values()) - sum(before["seconds"].values())
        row["trips"] += sum(stats["trips"].values()) - sum(before["trips"].values())
        for name, seconds in stats["seconds"].items():
            self.statement_seconds[name] += seconds - before["seconds"].get(name, 0.0)


def _breakdown(server: Server, args) -> dict:
    """One session at a time, each step on its own: the server's CPU time, SQL
    statements and SQL time per step (chat and echo), and the costliest statements."""
    table: dict[str, dict[str, Counter]] = {}
    kinds: Counter = Counter()
    for kind in ("echo", "chat"):
        per_step = {step: Counter() for step in STEPS[1:]}
        for _ in range(args.profile_sessions):
            statement_seconds = kinds if kind == "chat" else Counter()
            session = MeasuredSession(kind, server, args.questions, per_step, statement_seconds)
            asyncio.run(session.run())
        table[kind] = per_step
    print(
        f"\nwhere the server's time goes, {args.profile_sessions} sessions one at a time "
        "(server CPU of all its threads; SQL time is wall time in execute):"
    )
    print(
        f"  {'step':<10} {'CPU ms chat / echo':>20} {'DB trips':>9} {'SQL statements':>15}"
        f" {'SQL ms':>8}"
    )
    result = {}
    for step in STEPS[1:]:
        chat, echo = table["chat"][step], table["echo"][step]
        chat_n, echo_n = max(chat["count"], 1), max(echo["count"], 1)
        row = {
            "chat_cpu_ms": chat["cpu"] / chat_n * 1000,
            "echo_cpu_ms": echo["cpu"] / echo_n * 1000,
            "trips": chat["trips"] / chat_n,
            "statements": chat["statements"] / chat_n,
            "sql_ms": chat["sql"] / chat_n * 1000,
        }
        result[step] = row
        print(
            f"  {step:<10} {row['chat_cpu_ms']:11.2f} / {row['echo_cpu_ms']:5.2f}"
            f" {row['trips']:9.1f} {row['statements']:15.1f} {row['sql_ms']:8.2f}"
        )
    total = sum(kinds.values()) or 1.0
    print("  costliest statements (share of the chat's SQL time):")
    for name, seconds in kinds.most_common(8):
        print(f"    {seconds / total:6.1%}  {name}")
    return result


CPU_PARTS = ("server", "client", "database", "redis", "balancer", "other", "idle")


def _cpu_split_print(label: str, level: Level) -> None:
    """A level's CPU split: cores busy on average per part, and ms per session."""
    if not level.cpu_split:
        return
    parts = "  ".join(
        f"{part} {level.cpu_split.get(part, 0.0) / max(level.seconds, 1e-9):4.2f}"
        f" ({level.cpu_split.get(part, 0.0) / max(level.sessions, 1) * 1000:5.1f})"
        for part in CPU_PARTS
    )
    print(f"  {label:<26} {parts}")


def _cpu_splits_print(searches: dict, limit_ms: float) -> None:
    """Each search's best level and first level not sustained, split by process."""
    print(
        "\nwhere the machine's CPU went (cores busy on average over the level, and in"
        " parentheses ms per session; redis is the whole Redis server, other is the rest"
        " of the machine):"
    )
    for kind, (best, tried, _capped) in searches.items():
        if best is not None:
            _cpu_split_print(f"{kind} {best.rate:g}/s (best)", best)
        over = [level for level in tried if not level.sustained(limit_ms)]
        if over:
            _cpu_split_print(
                f"{kind} {min(over, key=lambda level: level.rate).rate:g}/s (not sustained)",
                min(over, key=lambda level: level.rate),
            )


def _comparison(chat: Level, echo: Level) -> dict:
    """Each step's percentiles, chat / echo, at the same arrival rate."""
    print(f"\nat the chat's best rate, {chat.rate:.2f} sessions/s: chat / echo")
    ratios = {}
    for step in (*STEPS, FIRST_ANSWER):
        c, e = chat.percentiles(step), echo.percentiles(step)
        ratios[step] = {key: c[key] / e[key] if e[key] else float("nan") for key in c}
        print(
            f"  {step:<13} p50 {c['p50_ms']:7.1f} / {e['p50_ms']:6.1f} ms   "
            f"p95 {c['p95_ms']:7.1f} / {e['p95_ms']:6.1f} ms (x{ratios[step]['p95_ms']:.1f})   "
            f"p99 {c['p99_ms']:7.1f} / {e['p99_ms']:6.1f} ms"
        )
    return ratios


def _servers_start(args, env: dict[str, str], workdir: Path, started: list) -> Server:
    application = (
        "benchmarks.counting_asgi:application"
        if args.verbose
        else "benchmarks.echo_asgi:application"
    )
    processes = []
    for n in range(args.processes):
        port = _free_port()
        process = _start_server(env, port, workdir / f"daphne-{n}.log", application=application)
        process.port = port
        started.append(process)
        processes.append(process)
    if args.processes == 1:
        return Server(processes, f"http://127.0.0.1:{processes[0].port}")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "supportdesk.settings.test")
    from tests.processes import haproxy_process

    names = [chr(ord("a") + n) for n in range(args.processes)]
    balancer = haproxy_process(
        workdir, {name: p.port for name, p in zip(names, processes, strict=True)}
    )
    started.append(balancer.start())
    return Server(processes, balancer.url, balancer.process.pid)


def _stop(started: list) -> None:
    for process in reversed(started):
        if hasattr(process, "stop"):  # a ManagedProcess (the balancer)
            process.stop()
        else:
            process.terminate()
            process.wait(timeout=20)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--services", action="store_true", help="PostgreSQL + channels-redis")
    parser.add_argument("--processes", type=int, default=1, choices=(1, 2))
    parser.add_argument("--questions", type=int, default=5)
    parser.add_argument("--think", type=float, default=1.0, help="seconds between questions")
    parser.add_argument("--level-seconds", type=float, default=10.0, help="arrivals per level")
    parser.add_argument("--start-rate", type=float, default=2.0, help="sessions per second")
    parser.add_argument("--max-rate", type=float, default=256.0)
    parser.add_argument("--bisections", type=int, default=2)
    parser.add_argument("--p95-limit-ms", type=float, default=300.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--verbose", action="store_true", help="where the server's time goes")
    parser.add_argument("--profile-sessions", type=int, default=20)
    parser.add_argument("--json", action="store_true", help="also print the figures as JSON")
    parser.add_argument("--workdir", type=Path, help=WORKDIR_HELP)
    args = parser.parse_args()
    if args.processes > 1 and not args.services:
        parser.error("--processes 2 needs --services (one database and layer for both)")
    if not 0 < args.start_rate <= args.max_rate:
        parser.error("--start-rate must be above 0 and at most --max-rate")

    randomness = random.Random(args.seed)
    with tempfile.TemporaryDirectory(prefix="supportdesk-open-loop-") as tmp:
        workdir = args.workdir or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        env = _workdir_environment(args, workdir)
        started: list = []
        try:
            server = _servers_start(args, env, workdir, started)
            server.cpu_split = CpuSplit(server, env, server.balancer_pid)
            mode = "PostgreSQL + channels-redis" if args.services else "SQLite + in-memory layer"
            print(
                f"open loop, {mode}, {args.processes} daphne process(es); sessions of "
                f"{args.questions} questions, {args.think:g} s think time; levels of "
                f"{args.level_seconds:g} s; sustained: every step's p95 <= "
                f"{args.p95_limit_ms:g} ms, no error, nothing lost",
                flush=True,
            )
            searches = {}
            for kind in ("echo", "chat"):
                searches[kind] = _highest_sustained(kind, server, args, randomness)
            chat_best = searches["chat"][0]
            echo_at_chat = None
            if chat_best is not None:
                echo_at_chat = next(
                    (level for level in searches["echo"][1] if level.rate == chat_best.rate),
                    None,
                ) or _level_measure("echo", server, chat_best.rate, args, randomness)
            breakdown = _breakdown(server, args) if args.verbose else None
        finally:
            _stop(started)

    report = {
        "mode": {"services": args.services, "processes": args.processes},
        "settings": {
            "questions": args.questions,
            "think_seconds": args.think,
            "level_seconds": args.level_seconds,
            "p95_limit_ms": args.p95_limit_ms,
        },
    }
    print()
    for kind in ("echo", "chat"):
        best, tried, capped = searches[kind]
        report[kind] = {
            "highest_sustained_rate": best.rate if best else 0.0,
            "capped": capped,
            "levels": [level.figures(args.p95_limit_ms) for level in tried],
        }
        note = " (the --max-rate cap: it sustains more)" if report[kind]["capped"] else ""
        print(
            f"{kind}: highest sustained arrival rate "
            f"{report[kind]['highest_sustained_rate']:.2f} sessions/s{note}"
        )
    echo_rate = report["echo"]["highest_sustained_rate"]
    report["rate_ratio"] = report["chat"]["highest_sustained_rate"] / echo_rate if echo_rate else 0
    bound = " at most (the echo was capped)" if report["echo"]["capped"] else ""
    print(f"chat / echo sustained rate: x{report['rate_ratio']:.2f}{bound}")
    if chat_best is not None:
        report["at_chat_rate"] = {
            "rate": chat_best.rate,
            "chat": chat_best.figures(args.p95_limit_ms),
            "echo": echo_at_chat.figures(args.p95_limit_ms),
            "ratios": _comparison(chat_best, echo_at_chat),
        }
        cpu = {k: report["at_chat_rate"][k]["server_cpu_ms_per_frame"] for k in ("chat", "echo")}
        print(
            f"server CPU per frame sent: chat {cpu['chat']:.2f} ms, echo {cpu['echo']:.2f} ms "
            f"(x{cpu['chat'] / cpu['echo'] if cpu['echo'] else float('nan'):.1f})"
        )
    _cpu_splits_print(searches, args.p95_limit_ms)
    if breakdown is not None:
        report["breakdown"] = breakdown
    if args.json:
        print(json.dumps(report))
    every = [level for kind in ("echo", "chat") for level in searches[kind][1]]
    clean = all(level.lost == level.duplicated == 0 for level in every)
    return 0 if clean else 1


if __name__ == "__main__":
    sys.exit(main())
