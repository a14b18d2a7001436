"""What one chat step costs the server, counted rather than timed: in-process, one at a time.

    .venv/bin/python benchmarks/chat_step_cost.py [--sessions 30] [--services] [--json]
        [--verbose] [--workdir DIR] [--together N]

On a machine shared with other jobs, wall-clock figures move with the load; these do
not, or hardly. Customers go through the real consumer (channels' test communicator,
in this process, no network) one after another: connect, hello, consent, identify,
--questions questions, close. The connect is the handshake through the whole websocket
stack of supportdesk.asgi (the Origin check, the routing, the auth middleware where a
route has it, the consumer's connect) until accepted; the close is the consumer's
disconnect until it ends. Per step it prints

- trips to the database thread (every database_sync_to_async: the chat's queue, the
  auth and session middleware) and the SQL
  statements they run (an execute wrapper: BEGIN counts where the backend sends one,
  COMMIT does not), both exact;
- Python function calls, in every thread, counted in a second pass (a profiler hook that
  counts: exact up to the caches' rechecks, which fall due every few seconds);
- the process's CPU time (all threads, `time.process_time`): steadier than wall time on
  a loaded machine, not exact;
- with --services, the CPU time of the PostgreSQL backends serving the run's database
  (`/proc/<pid>/schedstat`: PostgreSQL on this machine), which shares the cores, and the
  connection's health checks (Django's `SELECT 1` round trip before a trip's first
  statement, CONN_HEALTH_CHECKS; exact, not among the statements);

and the same for the echo consumer (benchmarks/echo_asgi.py: the same frames sent back)
as the floor of channels and the communicator, with the chat's CPU as a multiple of it.
The database is the run's own (benchmarks/isolation.py): SQLite, or PostgreSQL +
channels-redis with --services (SERVICES_DATABASE_URL, SERVICES_REDIS_URL), with the
demo data and trained models (`demo_setup`). The first --warm-up sessions are not
counted (models load, caches fill).

--together N runs N customers at a time (a session is then N customers): each step's
frames are sent by all N at once, so the database queue batches them as under load
(set-up steps in one hop and transaction, messages in one INSERT); the figures stay
per customer, so --together 1 against --together 32 is the batching's gain.

--verbose adds where the chat's CPU goes: a last pass of --sessions chat sessions with
the parts of the path (PARTS: redaction, sentence encoder, classifier, encryption, SQL,
commit, Celery, frames, channel layer …) wrapped in timers of their own thread's CPU
time, each part without the parts it calls; "other" is the rest of the process's CPU
in the step (the consumer, channels, the communicator, the event loop). --workdir keeps
the prepared database, models and keys in DIR and uses them again (for profiling
rounds; a figure for the README comes from a fresh one).
"""

import argparse
import asyncio
import functools
import importlib
import inspect
import json
import os
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.chat_load import WORKDIR_HELP, _workdir_environment  # noqa: E402

STEPS = ("connect", "hello", "consent", "identify", "message", "close")
# The websocket frames of a session, beside its connect and close.
FRAME_STEPS = ("hello", "consent", "identify", "message")
ORIGIN = [(b"origin", b"http://localhost"), (b"host", b"localhost")]
QUESTION_TEXTS = (
    "Wie hoch sind die Versandkosten?",
    "Kann ich meine Bestellung zurückgeben?",
    "Wo ist mein Paket?",
    "Welche Zahlungsarten gibt es?",
    "Wie lange dauert die Lieferung?",
)


class Meter:
    """Counts trips to the database thread, their SQL statements, the connection's health
    checks and (when on) every Python function call in every thread."""

    def __init__(self) -> None:
        self.trips = 0
        self.statements: Counter = Counter()
        # Django's SELECT 1 before a trip's first statement (CONN_HEALTH_CHECKS,
        # PostgreSQL): a round trip of its own, not among the statements.
        self.health_checks = 0
        self.calls = 0
        self.breakdown: Breakdown | None = None
        self.database_server: DatabaseServerCpu | None = None

    def database_trips_counted(self) -> None:
        """Every hop to the database thread (channels' DatabaseSyncToAsync: the chat's
        queue, the auth and session middleware, ...) and the statements it runs."""
        from channels.db import DatabaseSyncToAsync
        from django.db import connection

        def record(execute, sql, params, many, context):
            verb = sql.lstrip().split(None, 1)[0].upper()
            self.statements[verb] += 1
            return execute(sql, params, many, context)

        thread_handler = DatabaseSyncToAsync.thread_handler

        def counting(hop, *args, **kwargs):
            self.trips += 1
            with connection.execute_wrapper(record):
                return thread_handler(hop, *args, **kwargs)

        DatabaseSyncToAsync.thread_handler = counting
        from django.db.backends.postgresql.base import DatabaseWrapper as PostgreSQL

        is_usable = PostgreSQL.is_usable

        def health_check(database) -> bool:
            self.health_checks += 1
            return is_usable(database)

        PostgreSQL.is_usable = health_check

    def _profile(self, frame, event, arg) -> None:
        if event in ("call", "c_call"):
            self.calls += 1

    def calls_counted(self, on: bool) -> None:
        hook = self._profile if on else None
        threading.setprofile_all_threads(hook)
        sys.setprofile(hook)

    def snapshot(self) -> tuple:
        return (
            time.process_time(),
            self.trips,
            sum(self.statements.values()),
            self.health_checks,
            self.calls,
            self.database_server.seconds() if self.database_server else 0.0,
        )


class DatabaseServerCpu:
    """CPU seconds of the PostgreSQL backends serving the run's database, read from
    /proc/<pid>/schedstat (nanoseconds): PostgreSQL must run on this machine. Their pids
    are looked up between sessions, on a connection of its own (left out)."""

    def __init__(self, database_url: str) -> None:
        import psycopg

        self.connection = psycopg.connect(
            database_url.replace("postgres://", "postgresql://", 1), autocommit=True
        )
        self.pids: list[int] = []

    def backends_find(self) -> None:
        self.pids = [
            pid
            for (pid,) in self.connection.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
                " AND backend_type = 'client backend' AND pid <> pg_backend_pid()"
            )
        ]

    def seconds(self) -> float:
        total = 0
        for pid in self.pids:
            try:
                with open(f"/proc/{pid}/schedstat") as stat:
                    total += int(stat.read().split()[0])
            except FileNotFoundError:  # the connection closed
                continue
        return total / 1e9


# Where a step's CPU goes (--verbose): named parts of the path, each one's own CPU time
# in its thread (time.thread_time: other threads and processes do not count), a part
# called inside another taken out of the outer one; coroutines timed per resumption.
# "other" is the rest of the process's CPU in the step: the consumer, channels, the
# communicator, the event loop. (part, "module:qualified name").
PARTS = (
    ("redaction", "privacy.redaction:text_redact"),
    ("redaction", "privacy.redaction:texts_redact"),
    ("sentence encoder", "bot.nlu.sentence_vectors:sentence_vectors_encode"),
    ("language detection", "bot.nlu.language:language_detect"),
    ("classifier, dialog (rest)", "bot.chat:_bot_reactions"),
    ("encryption", "cryptography.fernet:MultiFernet.encrypt"),
    ("encryption", "cryptography.fernet:Fernet.encrypt"),
    ("SQL statements", "django.db.backends.utils:CursorWrapper.execute"),
    ("begin, commit", "django.db.backends.base.base:BaseDatabaseWrapper.commit"),
    ("begin, commit", "django.db.backends.base.base:BaseDatabaseWrapper.set_autocommit"),
    ("begin, commit", "django.db.transaction:Atomic.__enter__"),
    ("audit trail", "privacy.services.audit:audit_record"),
    ("Celery publish", "celery.app.task:Task.apply_async"),
    ("rate limit (shared)", "bot.consumers:conversations_rate_allow"),
    ("storing (rows, seqs, webhooks)", "bot.services:questions_append"),
    ("set-up verbs (consent, identify)", "bot.chat:chat_consent_give"),
    ("set-up verbs (consent, identify)", "bot.chat:chat_identify"),
    ("hello (open, history)", "bot.consumers:_conversation_open"),
    ("state frame, greeting", "bot.consumers:_state_frame"),
    ("state frame, greeting", "bot.chat:chat_greet"),
    ("frame building", "event_pipeline.events:message_frame"),
    ("frame building", "bot.consumers:_unstored_message_frame"),
    ("frame decoding", "platform_core.consumers:frame_decode"),
    ("JSON encode, send", "channels.generic.websocket:AsyncJsonWebsocketConsumer.send_json"),
    ("channel layer", "channels.layers:InMemoryChannelLayer.group_add"),
    ("channel layer", "channels.layers:InMemoryChannelLayer.group_discard"),
    ("channel layer", "channels_redis.pubsub:RedisPubSubLoopLayer.group_add"),
    ("channel layer", "channels_redis.pubsub:RedisPubSubLoopLayer.group_discard"),
    ("channel layer", "channels_redis.pubsub:RedisPubSubLoopLayer.new_channel"),
    ("channel layer", "channels_redis.pubsub:RedisPubSubLoopLayer.receive"),
    ("channel layer", "channels_redis.pubsub:RedisSingleShardConnection._do_receiving"),
    ("customer presence", "bot.customer_presence:customer_connection_open"),
    ("customer presence", "bot.customer_presence:customer_connection_close"),
    ("database thread hop", "asgiref.sync:SyncToAsync.__call__"),
    ("origin check", "supportdesk.middleware:websocket_origin_allowed"),
    ("auth, session middleware", "channels.auth:AuthMiddleware.resolve_scope"),
    ("auth, session middleware", "channels.sessions:InstanceSessionWrapper.resolve_session"),
    ("auth, session middleware", "channels.sessions:InstanceSessionWrapper.send"),
    ("channel layer", "channels.layers:InMemoryChannelLayer.new_channel"),
)


class Breakdown:
    """Each part's own CPU time (thread_time, nested parts taken out) per step."""

    def __init__(self) -> None:
        self.seconds = {step: Counter() for step in STEPS}
        self.local = threading.local()
        self.step: str | None = None
        self.started = 0.0

    def begin(self, step: str) -> None:
        self.step, self.started = step, time.process_time()

    def end(self, *, customers: int = 1) -> None:
        self.seconds[self.step]["steps"] += customers
        self.seconds[self.step]["process"] += time.process_time() - self.started
        self.step = None

    def per_step(self, step: str) -> dict[str, float]:
        """ms per step by part, "other" last, and the step's "total"."""
        seconds = self.seconds[step]
        n = max(seconds["steps"], 1)
        parts = {
            part: spent / n * 1000
            for part, spent in seconds.most_common()
            if part not in ("steps", "process")
        }
        total = seconds["process"] / n * 1000
        return {**parts, "other": total - sum(parts.values()), "total": total}

    def _stack(self) -> list:
        stack = getattr(self.local, "stack", None)
        if stack is None:
            stack = self.local.stack = []
        return stack

    def _enter(self) -> None:
        self._stack().append([time.thread_time(), 0.0])

    def _leave(self, part: str) -> None:
        started, nested = self._stack().pop()
        spent = time.thread_time() - started
        if self.step is not None:
            self.seconds[self.step][part] += spent - nested
        stack = self._stack()
        if stack:
            stack[-1][1] += spent

    def _timed(self, part: str, func):
        breakdown = self

        if inspect.iscoroutinefunction(func):

            class Resumptions:
                def __init__(self, coroutine) -> None:
                    self.coroutine = coroutine

                def __await__(self):
                    steps, value, error = self.coroutine.__await__(), None, None
                    while True:
                        breakdown._enter()
                        try:
                            yielded = steps.throw(error) if error else steps.send(value)
                        except StopIteration as stop:
                            return stop.value
                        finally:
                            breakdown._leave(part)
                        try:
                            value, error = (yield yielded), None
                        except BaseException as raised:  # noqa: BLE001  (handed on)
                            value, error = None, raised

            @functools.wraps(func)
            def timed_coroutine(*args, **kwargs):
                return Resumptions(func(*args, **kwargs))

            return timed_coroutine

        @functools.wraps(func)
        def timed(*args, **kwargs):
            breakdown._enter()
            try:
                return func(*args, **kwargs)
            finally:
                breakdown._leave(part)

        return timed

    def install(self) -> None:
        """Wraps each part's function where it is defined and wherever it was imported."""
        for part, target in PARTS:
            module_name, qualname = target.split(":")
            try:
                owner = importlib.import_module(module_name)
            except ImportError:  # channels_redis without --services: not used
                continue
            *outer, name = qualname.split(".")
            for attribute in outer:
                owner = getattr(owner, attribute)
            original = getattr(owner, name)
            wrapped = self._timed(part, original)
            setattr(owner, name, wrapped)
            if not outer:  # a module's function: also under the names it was imported as
                for module in list(sys.modules.values()):
                    for key, value in list(getattr(module, "__dict__", {}).items()):
                        if value is original:
                            setattr(module, key, wrapped)


class StepCosts:
    def __init__(self) -> None:
        self.rows = {step: Counter() for step in STEPS}

    def add(self, step: str, before: tuple, after: tuple, *, customers: int = 1) -> None:
        row = self.rows[step]
        row["count"] += customers
        names = ("cpu", "trips", "statements", "health_checks", "calls", "database_cpu")
        for name, start, end in zip(names, before, after, strict=True):
            row[name] += end - start

    def per_step(self, step: str) -> dict[str, float]:
        row = self.rows[step]
        n = max(row["count"], 1)
        return {
            "cpu_ms": row["cpu"] / n * 1000,
            "database_cpu_ms": row["database_cpu"] / n * 1000,
            "trips": row["trips"] / n,
            "statements": row["statements"] / n,
            "health_checks": row["health_checks"] / n,
            "python_calls": row["calls"] / n,
        }


async def _session(application, kind: str, meter: Meter, costs: StepCosts | None, n: int, args):
    """args.together customers (or the echo's same frames), numbered from n, each step
    sent by all of them at once; each step's cost per customer into `costs`."""
    from channels.testing import WebsocketCommunicator

    path = "/ws/chat/" if kind == "chat" else "/ws/echo/"
    if meter.database_server is not None:
        meter.database_server.backends_find()
    numbers = range(n * args.together, (n + 1) * args.together)
    communicators = [
        WebsocketCommunicator(application, path, headers=ORIGIN) for _number in numbers
    ]

    async def measured(name: str, work):
        await asyncio.sleep(0)
        if meter.breakdown is not None:
            meter.breakdown.begin(name)
        before = meter.snapshot()
        result = await work
        if costs is not None:
            costs.add(name, before, meter.snapshot(), customers=len(communicators))
        if meter.breakdown is not None:
            meter.breakdown.end(customers=len(communicators))
        return result

    # The handshake through the whole websocket stack (the Origin check, the routing,
    # the consumer's connect) until it accepts.
    accepted = await measured("connect", asyncio.gather(*(c.connect() for c in communicators)))
    assert all(connected for connected, _code in accepted), accepted

    async def answers(communicator, count: int) -> list[dict]:
        return [await communicator.receive_json_from(timeout=60) for _ in range(count)]

    async def sent_and_answered(frames: list[dict], count: int) -> list[list[dict]]:
        for communicator, frame in zip(communicators, frames, strict=True):
            await communicator.send_json_to(frame)
        return await asyncio.gather(
            *(answers(c, count if kind == "chat" else 1) for c in communicators)
        )

    async def step(name: str, frames: list[dict], count: int) -> list[list[dict]]:
        return await measured(name, sent_and_answered(frames, count))

    hello = {"type": "hello", "conversation": None, "lang": "de"}
    welcomes = await step("hello", [hello] * len(communicators), 1)
    consents = [
        {"type": "consent", "accept": True, "policy_version": version}
        for [welcome] in welcomes
        for version in [welcome.get("consent", {}).get("policy_version", "")]
    ]
    await step("consent", consents, 1)
    identities = [
        {"type": "identify", "name": "Erika Mustermann", "email": f"kunde{number}@example.org"}
        for number in numbers
    ]
    await step("identify", identities, 2)
    for q in range(args.questions):
        text = QUESTION_TEXTS[q % len(QUESTION_TEXTS)]
        question = {"type": "message", "id": f"q{q}", "text": text}
        for frames in await step("message", [question] * len(communicators), 2):
            if kind == "chat" and [f["type"] for f in frames] != ["ack", "message"]:
                raise RuntimeError(f"unexpected answer to a question: {frames}")
    # The customer leaves: the consumer's disconnect (groups, presence) until it ends.
    await measured("close", asyncio.gather(*(c.disconnect() for c in communicators)))


def _measure(args) -> dict:
    import django

    django.setup()
    from benchmarks.echo_asgi import application

    meter = Meter()
    meter.database_trips_counted()
    if args.services:
        meter.database_server = DatabaseServerCpu(os.environ["DATABASE_URL"])
    result = {}
    for kind in ("echo", "chat"):
        for n in range(args.warm_up):
            asyncio.run(_session(application, kind, meter, None, -n - 1, args))
        timed = StepCosts()
        for n in range(args.sessions):
            asyncio.run(_session(application, kind, meter, timed, n, args))
        counted = StepCosts()
        meter.calls_counted(True)
        try:
            for n in range(args.call_sessions):
                asyncio.run(_session(application, kind, meter, counted, 10_000 + n, args))
        finally:
            meter.calls_counted(False)
        result[kind] = {
            step: {
                **timed.per_step(step),
                "python_calls": counted.per_step(step)["python_calls"],
            }
            for step in STEPS
        }
    if args.verbose:  # last: its wrappers stay
        meter.breakdown = Breakdown()
        meter.breakdown.install()
        for n in range(args.sessions):
            asyncio.run(_session(application, "chat", meter, None, 20_000 + n, args))
        result["breakdown"] = {step: meter.breakdown.per_step(step) for step in STEPS}
    return result


def _report(result: dict) -> None:
    # PostgreSQL's own CPU (--services): the chat's, beside the process's.
    database = any(result["chat"][step]["database_cpu_ms"] for step in STEPS)
    print(
        f"  {'step':<9} {'trips':>5} {'statements':>10} {'Python calls chat / echo':>25}"
        f" {'CPU ms chat / echo':>20}"
        + ("   PostgreSQL CPU ms   health checks" if database else "")
    )
    for step in STEPS:
        chat, echo = result["chat"][step], result["echo"][step]
        print(
            f"  {step:<9} {chat['trips']:5.2f} {chat['statements']:10.1f}"
            f" {chat['python_calls']:12,.0f} / {echo['python_calls']:7,.0f}"
            f"   {chat['cpu_ms']:7.2f} / {echo['cpu_ms']:5.2f}"
            f" (x{chat['cpu_ms'] / echo['cpu_ms'] if echo['cpu_ms'] else float('nan'):.1f})"
            + (
                f"   {chat['database_cpu_ms']:8.2f}   {chat['health_checks']:13.2f}"
                if database
                else ""
            )
        )
    if "breakdown" not in result:
        return
    print(
        "\nwhere the chat's CPU goes, ms per step (own time of each part; a separate pass,"
        " its timers included in the total):"
    )
    breakdown = result["breakdown"]
    parts = sorted(
        {part for step in STEPS for part in breakdown[step]} - {"other", "total"},
        key=lambda part: -sum(breakdown[step].get(part, 0.0) for step in STEPS),
    )
    print(f"  {'part':<34}" + "".join(f"{step:>10}" for step in STEPS))
    for part in [*parts, "other", "total"]:
        print(
            f"  {part:<34}" + "".join(f"{breakdown[step].get(part, 0.0):10.2f}" for step in STEPS)
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=30, help="timed sessions of each kind")
    parser.add_argument("--call-sessions", type=int, default=3, help="sessions counting calls")
    parser.add_argument("--warm-up", type=int, default=3)
    parser.add_argument("--questions", type=int, default=5)
    parser.add_argument(
        "--together",
        type=int,
        default=1,
        help="customers at a time, each step sent by all of them at once (the database"
        " queue batches what waits together); figures stay per customer",
    )
    parser.add_argument("--services", action="store_true", help="PostgreSQL + channels-redis")
    parser.add_argument("--json", action="store_true", help="also print the figures as JSON")
    parser.add_argument(
        "--verbose", action="store_true", help="and where the chat's CPU goes, part by part"
    )
    parser.add_argument("--workdir", type=Path, help=WORKDIR_HELP)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="supportdesk-step-cost-") as tmp:
        workdir = args.workdir or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        os.environ.update(_workdir_environment(args, workdir))
        mode = "PostgreSQL + channels-redis" if args.services else "SQLite + in-memory layer"
        print(
            f"chat step cost, {mode}, in-process; {args.sessions} sessions of "
            f"{args.questions} questions (calls: {args.call_sessions}) after {args.warm_up}"
            f" unmeasured; {args.together} customer(s) at a time",
            flush=True,
        )
        result = _measure(args)
    _report(result)
    if args.json:
        print(json.dumps({"mode": {"services": args.services}, **result}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
