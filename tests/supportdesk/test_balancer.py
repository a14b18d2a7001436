"""The balancer's configuration (tests/processes.py, used by the scale-out test and the
benchmarks): a process that is busy, not dead, stays in the pool."""

import os
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.processes import HAPROXY, haproxy_process

# Slower than the check interval (500 ms), as /health/ is when the database thread it
# waits in is busy with the chat.
SLOW_HEALTH_SECONDS = 0.8


class _SlowHealthHandler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802  (the standard library's name)
        if self.path == "/health/":
            time.sleep(SLOW_HEALTH_SECONDS)
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args) -> None:
        pass


# `make test` does not install HAProxy (`make haproxy` does); the services suite, which
# `make test-services` and CI run with it installed, fails instead of skipping.
@pytest.mark.skipif(
    os.environ.get("SUPPORTDESK_TEST_SERVICES") != "1" and not os.path.exists(HAPROXY),
    reason="HAProxy is not installed: `make haproxy` (the services suite installs it)",
)
def test_a_process_answering_its_health_check_slowly_stays_in_the_pool(tmp_path: Path):
    assert Path(HAPROXY).exists(), "HAProxy is missing: `make test-services` installs it."
    backend = ThreadingHTTPServer(("127.0.0.1", 0), _SlowHealthHandler)
    threading.Thread(target=backend.serve_forever, daemon=True).start()
    # Up once it answered checks in a row (rise 2): with checks cut off at the interval
    # it never is, and start() gives up.
    balancer = haproxy_process(tmp_path, {"a": backend.server_address[1]}).start()
    try:
        # Several check intervals later, requests are still served by it (not 503).
        deadline = time.monotonic() + 4 * SLOW_HEALTH_SECONDS + 2
        while time.monotonic() < deadline:
            with urllib.request.urlopen(f"{balancer.url}/page/", timeout=5) as answer:
                assert answer.status == 200
                assert answer.headers["X-Served-By"] == "a"
            time.sleep(0.25)
    finally:
        balancer.stop()
        backend.shutdown()
        backend.server_close()
