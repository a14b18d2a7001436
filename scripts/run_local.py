"""`make run`: daphne, a Celery worker and Celery beat, supervised, stopped together by Ctrl-C.

Never half running: a worker or beat that dies is restarted with backoff (1 s, 2 s, 4 s …
at most 30 s) and a message saying so; one that keeps dying (5 times within 2 minutes)
stops everything with a message, as does daphne dying (without it nothing is served, and a
worker without the server would only hide that). Beat runs as its own process, not
embedded in the worker, so its death is seen and it is restarted like the worker.
"""

import os
import signal
import subprocess
import sys
import time
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


@dataclass
class Spec:
    name: str
    command: list[str]
    # False: its death stops everything (the server); True: restarted with backoff.
    restart: bool


@dataclass
class Child:
    spec: Spec
    process: subprocess.Popen | None = None
    deaths: list[float] = field(default_factory=list)  # clock times of recent deaths
    start_at: float = 0.0  # when a dead one is started again


def _spawn(command: list[str]) -> subprocess.Popen:
    return subprocess.Popen(command)


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
            child.process = self.spawn(child.spec.command)

    def step(self) -> int | None:
        """Look at every child once; the exit code to stop with, or None to go on."""
        now = self.clock()
        for child in self.children:
            name = child.spec.name
            if child.process is None:
                if now >= child.start_at:
                    child.process = self.spawn(child.spec.command)
                    self.say(f"{name} restarted.")
                continue
            code = child.process.poll()
            if code is None:
                continue
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
        ),
        Spec("celery beat", [*celery, "beat", "--loglevel", "INFO"], restart=True),
    ]


def main() -> int:
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
