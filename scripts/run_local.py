"""`make run`: daphne plus a Celery worker with embedded beat, stopped together by Ctrl-C."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

BIN = Path(sys.executable).parent
HOST = os.environ.get("HOST", "127.0.0.1")
PORT = os.environ.get("PORT", "8000")

PROCESSES = {
    # daphne's access log bypasses Python logging and would write client IP
    # addresses (personal data) unredacted; Django still logs errors.
    "daphne": [
        str(BIN / "daphne"),
        "-b",
        HOST,
        "-p",
        PORT,
        "--access-log",
        os.devnull,
        # Under a burst of new chats the default 5 s handshake limit drops connections.
        "--websocket_connect_timeout",
        "30",
        "supportdesk.asgi:application",
    ],
    "celery": [
        str(BIN / "celery"),
        "-A",
        "supportdesk",
        "worker",
        "--beat",
        "--loglevel",
        "INFO",
        "--concurrency",
        "2",
    ],
}


def main() -> int:
    children = {name: subprocess.Popen(command) for name, command in PROCESSES.items()}
    base = f"http://{HOST}:{PORT}"
    print(
        f"\nSupportdesk is running:\n"
        f"  customer chat  {base}/chat/\n"
        f"  agent inbox    {base}/inbox/\n"
        f"  admin          {base}/admin/\n"
        f"  API            {base}/api/v1/   (docs: {base}/api/docs/)\n"
        f"Press Ctrl-C to stop the server and the Celery worker.\n",
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
        for name, child in children.items():
            if child.poll() is not None:
                print(f"{name} exited with {child.returncode}; stopping the rest.", flush=True)
                stopping, exit_code = True, child.returncode or 1
        time.sleep(0.5)
    for child in children.values():
        if child.poll() is None:
            child.terminate()
    deadline = time.monotonic() + 15
    for child in children.values():
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
