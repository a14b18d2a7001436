"""What one chat step costs the server, counted rather than timed: in-process, one at a time.

    .venv/bin/python benchmarks/chat_step_cost.py [--sessions 30] [--services] [--json]

On a machine shared with other jobs, wall-clock figures move with the load; these do
not, or hardly. Customers go through the real consumer (channels' test communicator,
in this process, no network) one after another: hello, consent, identify, then
--questions questions. Per step it prints

- trips to the database thread (bot.consumers' database_sync_to_async) and the SQL
  statements they run (an execute wrapper: BEGIN counts where the backend sends one,
  COMMIT does not), both exact;
- Python function calls, in every thread, counted in a second pass (a profiler hook that
  counts: exact up to the caches' rechecks, which fall due every few seconds);
- the process's CPU time (all threads, `time.process_time`): steadier than wall time on
  a loaded machine, not exact;

and the same for the echo consumer (benchmarks/echo_asgi.py: the same frames sent back)
as the floor of channels and the communicator, with the chat's CPU as a multiple of it.
The database is the run's own (benchmarks/isolation.py): SQLite, or PostgreSQL +
channels-redis with --services (SERVICES_DATABASE_URL, SERVICES_REDIS_URL), with the
demo data and trained models (`demo_setup`). The first --warm-up sessions are not
counted (models load, caches fill).
"""

import argparse
import asyncio
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

from benchmarks.chat_load import _environment, _prepare_database  # noqa: E402

STEPS = ("hello", "consent", "identify", "message")
ORIGIN = [(b"origin", b"http://localhost"), (b"host", b"localhost")]
QUESTION_TEXTS = (
    "Wie hoch sind die Versandkosten?",
    "Kann ich meine Bestellung zurückgeben?",
    "Wo ist mein Paket?",
    "Welche Zahlungsarten gibt es?",
    "Wie lange dauert die Lieferung?",
)


class Meter:
    """Counts trips to the database thread, their SQL statements and (when on) every
    Python function call in every thread."""

    def __init__(self) -> None:
        self.trips = 0
        self.statements: Counter = Counter()
        self.calls = 0
        self.counting_calls = False

    def database_trips_counted(self, consumers_module) -> None:
        from channels.db import database_sync_to_async
        from django.db import connection

        def record(execute, sql, params, many, context):
            verb = sql.lstrip().split(None, 1)[0].upper()
            self.statements[verb] += 1
            return execute(sql, params, many, context)

        def counting(func):
            def run(*args, **kwargs):
                self.trips += 1
                with connection.execute_wrapper(record):
                    return func(*args, **kwargs)

            return database_sync_to_async(run)

        consumers_module.database_sync_to_async = counting

    def _profile(self, frame, event, arg) -> None:
        if event in ("call", "c_call"):
            self.calls += 1

    def calls_counted(self, on: bool) -> None:
        hook = self._profile if on else None
        threading.setprofile_all_threads(hook)
        sys.setprofile(hook)

    def snapshot(self) -> tuple:
        return time.process_time(), self.trips, sum(self.statements.values()), self.calls


class StepCosts:
    def __init__(self) -> None:
        self.rows = {step: Counter() for step in STEPS}

    def add(self, step: str, before: tuple, after: tuple) -> None:
        row = self.rows[step]
        row["count"] += 1
        names = ("cpu", "trips", "statements", "calls")
        for name, start, end in zip(names, before, after, strict=True):
            row[name] += end - start

    def per_step(self, step: str) -> dict[str, float]:
        row = self.rows[step]
        n = max(row["count"], 1)
        return {
            "cpu_ms": row["cpu"] / n * 1000,
            "trips": row["trips"] / n,
            "statements": row["statements"] / n,
            "python_calls": row["calls"] / n,
        }


async def _session(application, kind: str, meter: Meter, costs: StepCosts | None, n: int, args):
    """One customer (or the echo's same frames); each step's cost into `costs`."""
    from channels.testing import WebsocketCommunicator

    path = "/ws/chat/" if kind == "chat" else "/ws/echo/"
    communicator = WebsocketCommunicator(application, path, headers=ORIGIN)
    assert (await communicator.connect())[0]

    async def step(name: str, frame: dict, answers: int) -> list[dict]:
        await asyncio.sleep(0)
        before = meter.snapshot()
        await communicator.send_json_to(frame)
        frames = [
            await communicator.receive_json_from(timeout=30)
            for _ in range(answers if kind == "chat" else 1)
        ]
        if costs is not None:
            costs.add(name, before, meter.snapshot())
        return frames

    [welcome] = await step("hello", {"type": "hello", "conversation": None, "lang": "de"}, 1)
    version = welcome.get("consent", {}).get("policy_version", "")
    await step("consent", {"type": "consent", "accept": True, "policy_version": version}, 1)
    email = f"kunde{n}@example.org"
    await step("identify", {"type": "identify", "name": "Erika Mustermann", "email": email}, 2)
    for q in range(args.questions):
        text = QUESTION_TEXTS[q % len(QUESTION_TEXTS)]
        frames = await step("message", {"type": "message", "id": f"q{q}", "text": text}, 2)
        if kind == "chat" and [f["type"] for f in frames] != ["ack", "message"]:
            raise RuntimeError(f"unexpected answer to a question: {frames}")
    await communicator.disconnect()


def _measure(args) -> dict:
    import django

    django.setup()
    from benchmarks.echo_asgi import application
    from bot import consumers

    meter = Meter()
    meter.database_trips_counted(consumers)
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
    return result


def _report(result: dict) -> None:
    print(
        f"  {'step':<9} {'trips':>5} {'statements':>10} {'Python calls chat / echo':>25}"
        f" {'CPU ms chat / echo':>20}"
    )
    for step in STEPS:
        chat, echo = result["chat"][step], result["echo"][step]
        print(
            f"  {step:<9} {chat['trips']:5.1f} {chat['statements']:10.1f}"
            f" {chat['python_calls']:12,.0f} / {echo['python_calls']:7,.0f}"
            f"   {chat['cpu_ms']:7.2f} / {echo['cpu_ms']:5.2f}"
            f" (x{chat['cpu_ms'] / echo['cpu_ms'] if echo['cpu_ms'] else float('nan'):.1f})"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=30, help="timed sessions of each kind")
    parser.add_argument("--call-sessions", type=int, default=3, help="sessions counting calls")
    parser.add_argument("--warm-up", type=int, default=3)
    parser.add_argument("--questions", type=int, default=5)
    parser.add_argument("--services", action="store_true", help="PostgreSQL + channels-redis")
    parser.add_argument("--json", action="store_true", help="also print the figures as JSON")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="supportdesk-step-cost-") as tmp:
        env = _environment(args, Path(tmp))
        _prepare_database(env, args.services)
        os.environ.update(env)
        mode = "PostgreSQL + channels-redis" if args.services else "SQLite + in-memory layer"
        print(
            f"chat step cost, {mode}, in-process; {args.sessions} sessions of "
            f"{args.questions} questions (calls: {args.call_sessions}) after {args.warm_up}"
            " unmeasured",
            flush=True,
        )
        result = _measure(args)
    _report(result)
    if args.json:
        print(json.dumps({"mode": {"services": args.services}, **result}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
