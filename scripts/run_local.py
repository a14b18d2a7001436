"""`make run`: daphne, a Celery worker and Celery beat, supervised, stopped together by Ctrl-C.

Never half running: a worker or beat that dies is restarted with backoff (1 s, 2 s, 4 s …
at most 30 s) and a message saying so; one that keeps dying (5 times within 2 minutes)
stops everything with a message, as does daphne dying (without it nothing is served, and a
worker without the server would only hide that). Beat runs as its own process, not
embedded in the worker, so its death is seen and it is restarted like the worker.

A worker can also hang without dying (kill -9 of all its pool children leaves the new
children blocked for good): the supervisor then watches the sweeper's heartbeat on
`/health/` and restarts a worker that has stopped doing work, as if it had died.
"""

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

BIN = Path(sys.executable).parent
HOST = os.environ.get("HOST", "127.0.0.1")
PORT = os.environ.get("PORT", "8000")

BACKOFF_START_SECONDS = 1.0
BACKOFF_MAX_SECONDS = 30.0
# A child that dies this often within the window is broken, not unlucky: stop everything.
GIVE_UP_AFTER = 5
GIVE_UP_WINDOW_SECONDS = 120.0
STOP_TIMEOUT_SECONDS = 15.0
# How often a watched child is checked, and for how long after its start it is not (the
# sweeper runs every 5 minutes; its heartbeat is late after twice that).
WATCH_EVERY_SECONDS = 60.0
WATCH_AFTER_START_SECONDS = 15 * 60.0


@dataclass
class Spec:
    name: str
    command: list[str]
    # False: its death stops everything (the server); True: restarted with backoff.
    restart: bool
    # Is it still doing its work? (False: restarted as if it had died.)
    watch: Callable[[], bool] | None = None


@dataclass
class Child:
    spec: Spec
    process: subprocess.Popen | None = None
    deaths: list[float] = field(default_factory=list)  # clock times of recent deaths
    start_at: float = 0.0  # when a dead one is started again
    started_at: float = 0.0
    watched_at: float = 0.0


def _spawn(command: list[str]) -> subprocess.Popen:
    # Its own process group, so a hung worker is killed with its pool children.
    return subprocess.Popen(command, start_new_session=True)


class Supervisor:
    """Starts the children, restarts the restartable ones, stops all when one cannot go on.

    `spawn`, `clock` and `say` are parameters so the logic is tested with fake children
    and a fake clock (tests/supportdesk/test_run_local.py).
    """

    def __init__(
        self,
        specs: list[Spec],
        *,
        spawn: Callable[[list[str]], subprocess.Popen] = _spawn,
        clock: Callable[[], float] = time.monotonic,
        say: Callable[[str], None] = lambda text: print(text, flush=True),
    ) -> None:
        self.children = [Child(spec) for spec in specs]
        self.spawn, self.clock, self.say = spawn, clock, say

    def start(self) -> None:
        for child in self.children:
            self._spawn(child)

    def _spawn(self, child: Child) -> None:
        child.process = self.spawn(child.spec.command)
        child.started_at = child.watched_at = self.clock()

    def _hung(self, child: Child, now: float) -> bool:
        """A watched child, long enough up and not checked for a while, fails its watch."""
        if child.spec.watch is None or now - child.started_at < WATCH_AFTER_START_SECONDS:
            return False
        if now - child.watched_at < WATCH_EVERY_SECONDS:
            return False
        child.watched_at = now
        if child.spec.watch():
            return False
        self.say(
            f"{child.spec.name} is running but has stopped doing its work (the sweeper's "
            f"heartbeat on /health/ is late); killing it."
        )
        _kill(child.process)
        return True

    def step(self) -> int | None:
        """Look at every child once; the exit code to stop with, or None to go on."""
        now = self.clock()
        for child in self.children:
            name = child.spec.name
            if child.process is None:
                if now >= child.start_at:
                    self._spawn(child)
                    self.say(f"{name} restarted.")
                continue
            code = child.process.poll()
            if code is None and not self._hung(child, now):
                continue
            code = child.process.returncode
            if not child.spec.restart:
                self.say(
                    f"{name} exited with code {code}; stopping everything "
                    f"(nothing is served without it)."
                )
                return code or 1
            child.deaths = [t for t in child.deaths if now - t < GIVE_UP_WINDOW_SECONDS]
            if len(child.deaths) + 1 >= GIVE_UP_AFTER:
                self.say(
                    f"{name} exited with code {code} for the {GIVE_UP_AFTER}th time within "
                    f"{GIVE_UP_WINDOW_SECONDS:.0f} s; stopping everything. Its log above "
                    f"says why."
                )
                return code or 1
            delay = min(BACKOFF_START_SECONDS * 2 ** len(child.deaths), BACKOFF_MAX_SECONDS)
            child.deaths.append(now)
            child.process, child.start_at = None, now + delay
            self.say(f"{name} exited with code {code}; restarting it in {delay:.0f} s.")
        return None

    def stop(self) -> None:
        running = [c.process for c in self.children if c.process and c.process.poll() is None]
        for process in running:
            process.terminate()
        deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
        for process in running:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _kill(process: subprocess.Popen) -> None:
    """kill -9 of the child and what it started (a worker's pool children)."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        process.kill()
    process.wait()


def sweeper_on_time(base_url: str) -> bool:
    """The sweeper's heartbeat as /health/ reports it; True when it cannot be read (daphne
    is watched on its own, and a restart must not hang on an unanswered request)."""
    try:
        with urllib.request.urlopen(f"{base_url}/health/", timeout=10) as answer:
            body = answer.read()
    except urllib.error.HTTPError as error:  # 503: some check failed
        body = error.read()
    except OSError:
        return True
    try:
        checks = json.loads(body)["checks"]
    except (ValueError, KeyError, TypeError):
        return True
    return all(check["ok"] for check in checks if check["name"] == "jobs.sweeper")


def specs() -> list[Spec]:
    celery = [str(BIN / "celery"), "-A", "supportdesk"]
    return [
        Spec(
            "daphne",
            [
                str(BIN / "daphne"),
                "-b",
                HOST,
                "-p",
                PORT,
                # daphne's access log bypasses Python logging and would write client IP
                # addresses (personal data) unredacted; Django still logs errors.
                "--access-log",
                os.devnull,
                # Under a burst of new chats the default 5 s handshake limit drops connections.
                "--websocket_connect_timeout",
                "30",
                "supportdesk.asgi:application",
            ],
            restart=False,
        ),
        Spec(
            "celery worker",
            [*celery, "worker", "--loglevel", "INFO", "--concurrency", "2"],
            restart=True,
            watch=lambda: sweeper_on_time(f"http://{HOST}:{PORT}"),
        ),
        Spec("celery beat", [*celery, "beat", "--loglevel", "INFO"], restart=True),
    ]


def main() -> int:
    # Links in mails and in the privacy notice point at this server: follow PORT unless the
    # operator set SITE_URL (the children inherit the environment).
    os.environ.setdefault("SITE_URL", f"http://{HOST}:{PORT}")
    supervisor = Supervisor(specs())
    supervisor.start()
    base = f"http://{HOST}:{PORT}"
    print(
        f"\nSupportdesk is running:\n"
        f"  customer chat  {base}/chat/\n"
        f"  agent inbox    {base}/inbox/\n"
        f"  admin          {base}/admin/\n"
        f"  API            {base}/api/v1/   (docs: {base}/api/docs/)\n"
        f"  health         {base}/health/\n"
        f"Press Ctrl-C to stop the server, the Celery worker and beat.\n",
        flush=True,
    )
    stopping = False

    def stop(signum, frame):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    exit_code = 0
    while not stopping:
        code = supervisor.step()
        if code is not None:
            exit_code = code
            break
        time.sleep(0.5)
    supervisor.stop()
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
