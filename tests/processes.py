"""Real server processes for tests: daphne and Celery workers on the test database."""

import gc
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from asgiref.sync import SyncToAsync
from django.conf import settings
from django.db import connection, connections
from django.db.backends.base.base import BaseDatabaseWrapper

SERVER_START_TIMEOUT = 60

# Browser tests drive Debian's Chromium (installed by `make test`), never a downloaded one.
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(settings.BASE_DIR) / "var" / "test-artifacts"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def test_database_url() -> str:
    """The URL of the database this test runs on, for a process started by the test."""
    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{db['NAME']}"
    credentials = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{credentials}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


def sqlite_file_bytes(path: str | Path) -> bytes:
    """The bytes of a live SQLite database file (or its WAL), read by another process.

    Never open() and close() the file in this process: closing any descriptor of a file
    drops every POSIX lock this process holds on it, SQLite's included. This process's
    connections then hold the database without a lock, and the next server process
    (daphne, a Celery worker) that closes its last connection takes it for the last
    user, checkpoints and deletes the WAL and shared-memory files under us: every new
    connection here then fails with "disk I/O error" (it took ~250 tests to show).
    """
    return subprocess.run(["cat", str(path)], capture_output=True, check=True).stdout


_guarded_sqlite_files: set[str] = set()


def live_sqlite_open_guard_install() -> None:
    """Make an open() of the live test database (or its -shm) in this process fail loudly,
    naming sqlite_file_bytes: the lost locks otherwise show only ~250 tests later. An audit
    hook (PEP 578) sees every open(); SQLite's own opens are C calls it does not see."""
    database = settings.DATABASES["default"]
    if database["ENGINE"] != "django.db.backends.sqlite3" or _guarded_sqlite_files:
        return
    name = os.path.realpath(database.get("TEST", {}).get("NAME") or database["NAME"])
    _guarded_sqlite_files.update({name, f"{name}-shm"})

    def guard(event: str, arguments: tuple) -> None:
        if event != "open" or not isinstance(arguments[0], str | Path):
            return
        path = os.fspath(arguments[0])
        if path.endswith((".sqlite3", ".sqlite3-shm")) and (
            os.path.realpath(path) in _guarded_sqlite_files
        ):
            raise RuntimeError(
                f"{path} is the live test database: read it with "
                "tests.processes.sqlite_file_bytes (closing it here drops SQLite's locks)"
            )

    sys.addaudithook(guard)


def stray_database_connections_close() -> None:
    """Close every database connection this process still holds, in whatever thread.

    An async test's ORM calls (`aget`, `acount`, `sync_to_async`) run in asgiref's one
    thread for thread-sensitive code, which outlives every test, and open a connection
    there that nothing closes (Django's connections are per thread). A thread that used
    the ORM and ended (an event loop's executor, a test's own thread) leaves its
    connection open until the garbage collector frees it: Django's connection objects
    refer to themselves, so reference counting never does. The services suite's teardown
    found the test database still used by such a session (PostgreSQL refuses to drop a
    database another session uses; pytest-django then warns and leaves it behind)."""
    SyncToAsync.single_thread_executor.submit(connections.close_all).result(timeout=60)
    gc.collect()  # the connections of ended threads: freed, so closed
    # type(), not isinstance(): a weak proxy to a freed object raises ReferenceError
    # when asked for its class (twisted's protocols leave some behind).
    wrappers = [obj for obj in gc.get_objects() if issubclass(type(obj), BaseDatabaseWrapper)]
    for wrapper in wrappers:
        if wrapper.connection is not None:  # a live thread's, or the main thread's
            wrapper.inc_thread_sharing()
            try:
                wrapper.close()
            finally:
                wrapper.dec_thread_sharing()


def database_sessions_others(timeout: float = 5) -> list[dict]:
    """The other sessions on this connection's database once closed ones have gone (a
    backend leaves pg_stat_activity a moment after its client closed), each with the
    local process whose socket it is (pid and command line), if any: empty elsewhere."""
    if connection.vendor != "postgresql":
        return []
    query = (
        "SELECT pid, application_name, client_port, backend_start, state, left(query, 300)"
        " FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
    )
    deadline = time.monotonic() + timeout
    while True:
        with connection.cursor() as cursor:
            cursor.execute(query)
            columns = [column.name for column in cursor.description]
            sessions = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
        if not sessions or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    connection.close()
    for session in sessions:
        session["process"] = _local_process_of_port(session["client_port"])
    return sessions


def _local_process_of_port(port: int | None) -> str:
    """'<pid> <command line>' of the local process with a TCP socket on this port."""
    if port is None or port < 0:
        return ""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(fields[9])
    for process in Path("/proc").iterdir():
        if not process.name.isdigit():
            continue
        try:
            sockets = {os.readlink(fd) for fd in (process / "fd").iterdir()}
            command = (process / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if any(f"socket:[{inode}]" in sockets for inode in inodes):
            return f"{process.name} {command.strip()}"
    return ""


def process_environment(**extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "supportdesk.settings.test",
        "DATABASE_URL": test_database_url(),
        "CELERY_DATA_DIR": str(settings.CELERY_DATA_DIR),
        **extra,
    }


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def daphne_server(log_path: Path, **environment: str):
    """A daphne process serving the project (static files included); yields its base URL."""
    port = free_port()
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
        "supportdesk.asgi:application",
    ]
    with log_path.open("w") as log:
        server = subprocess.Popen(
            command,
            env=process_environment(SUPPORTDESK_SERVE_STATIC="true", **environment),
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=settings.BASE_DIR,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while True:
            try:
                urllib.request.urlopen(f"{base_url}/chat/", timeout=2)
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"daphne did not start:\n{log_path.read_text()}") from None
                time.sleep(0.2)
        yield base_url
    finally:
        server.terminate()
        # It stops listening at once; what follows is the interpreter's own shutdown with
        # the models loaded (seconds on a busy machine), which no test waits for. Its log
        # is written record by record, so nothing of it is lost.
        deadline = time.monotonic() + 20
        while server.poll() is None and port_open(port) and time.monotonic() < deadline:
            time.sleep(0.05)
        if server.poll() is None:
            server.kill()
        server.wait(timeout=20)


# Scale-out: private servers started by a test (tests/supportdesk/test_scale_out.py,
# benchmarks/scale_out.py). Each runs in its own process group on free ports, so a test
# can kill -9 or restart it without touching the machine's shared Redis or RabbitMQ.

RABBITMQ_SERVER = "/usr/lib/rabbitmq/bin/rabbitmq-server"  # the script, not the su wrapper
HAPROXY = shutil.which("haproxy") or "/usr/sbin/haproxy"


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def url_answers(url: str, *, host: str | None = None) -> bool:
    """The URL answers HTTP at all (any status): the process behind it is serving."""
    request = urllib.request.Request(url, headers={"Host": host} if host else {})
    try:
        urllib.request.urlopen(request, timeout=2).close()
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False
    return True


class ManagedProcess:
    """A server process of a test: its own process group, its output appended to a log.

    `ready` says when it serves; start() waits for it (or raises with the log's tail),
    kill() is kill -9 of the whole group, stop() asks politely first. Restarts reuse the
    command, environment and log.
    """

    def __init__(
        self,
        name: str,
        command: list[str],
        *,
        env: dict[str, str],
        log_path: Path,
        ready,
        start_timeout: float = SERVER_START_TIMEOUT,
    ) -> None:
        self.name, self.command, self.env, self.log_path = name, command, env, log_path
        self.ready, self.start_timeout = ready, start_timeout
        self.process: subprocess.Popen | None = None

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def launch(self) -> "ManagedProcess":
        """Start without waiting (several servers then start side by side)."""
        with self.log_path.open("a") as log:
            log.write(f"\n--- {time.strftime('%H:%M:%S')} starting {self.name}\n")
            log.flush()
            self.process = subprocess.Popen(
                self.command,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=settings.BASE_DIR,
                start_new_session=True,
            )
        return self

    def wait_ready(self) -> "ManagedProcess":
        deadline = time.monotonic() + self.start_timeout
        while not self.ready():
            if not self.alive:
                raise RuntimeError(f"{self.name} exited while starting:\n{self.log_tail()}")
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"{self.name} did not serve within {self.start_timeout:.0f} s:\n"
                    f"{self.log_tail()}"
                )
            time.sleep(0.2)
        return self

    def start(self) -> "ManagedProcess":
        return self.launch().wait_ready()

    def _signal_group(self, signal_number: int) -> None:
        try:
            os.killpg(self.process.pid, signal_number)
        except ProcessLookupError:
            pass

    def kill(self) -> None:
        """kill -9, the process and its children: no goodbye to anyone."""
        if self.process is None:
            return
        self._signal_group(signal.SIGKILL)
        self.process.wait(timeout=20)

    def stop(self, timeout: float = 20) -> None:
        if self.process is None:
            return
        if self.alive:
            self._signal_group(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                pass
        self._signal_group(signal.SIGKILL)  # children left behind by the leader, if any
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            pass

    def restart(self) -> "ManagedProcess":
        self.stop()
        return self.start()

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return "(no log)"


def redis_process(workdir: Path, *, port: int | None = None) -> ManagedProcess:
    """A private Redis, nothing persisted: a restart loses everything it held."""
    port = port or free_port()
    command = [
        shutil.which("redis-server") or "/usr/bin/redis-server",
        "--port",
        str(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
        str(workdir),
    ]
    server = ManagedProcess(
        "redis",
        command,
        env=dict(os.environ),
        log_path=workdir / "redis.log",
        ready=lambda: port_open(port),
    )
    server.url = f"redis://127.0.0.1:{port}/0"
    return server


def rabbitmq_process(workdir: Path) -> ManagedProcess:
    """A private RabbitMQ node on free ports with its own data folder (the machine's node,
    shared with everyone, is never restarted). A restart keeps durable queues and their
    persistent messages, as a restarted production broker does."""
    port, dist_port = free_port(), free_port()
    node = f"supportdesk-test-{port}@localhost"
    folder = workdir / "rabbitmq"
    folder.mkdir(parents=True, exist_ok=True)
    # Our own files: the machine's rabbitmq.conf would put us on the shared port 5672.
    (folder / "rabbitmq.conf").write_text(
        f"listeners.tcp.default = 127.0.0.1:{port}\nloopback_users.guest = true\n"
    )
    (folder / "enabled_plugins").write_text("[].\n")
    (folder / "rabbitmq-env.conf").write_text("")
    env = {
        **os.environ,
        "RABBITMQ_NODENAME": node,
        "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
        "RABBITMQ_NODE_PORT": str(port),
        "RABBITMQ_DIST_PORT": str(dist_port),
        "RABBITMQ_CONFIG_FILE": str(folder / "rabbitmq.conf"),
        "RABBITMQ_CONF_ENV_FILE": str(folder / "rabbitmq-env.conf"),
        "RABBITMQ_ENABLED_PLUGINS_FILE": str(folder / "enabled_plugins"),
        "RABBITMQ_MNESIA_BASE": str(folder / "mnesia"),
        "RABBITMQ_LOG_BASE": str(folder / "log"),
        "RABBITMQ_PID_FILE": str(folder / "pid"),
        "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": "-kernel inet_dist_use_interface {127,0,0,1}",
        "ERL_EPMD_ADDRESS": "127.0.0.1",
        # exec the Erlang VM itself (no signal-forwarding shell): its pid is the broker's.
        "RUNNING_UNDER_SYSTEMD": "1",
    }
    broker = ManagedProcess(
        "rabbitmq",
        [RABBITMQ_SERVER],
        env=env,
        log_path=workdir / "rabbitmq.log",
        ready=lambda: port_open(port),
        start_timeout=120,
    )
    broker.url = f"amqp://guest:guest@127.0.0.1:{port}//"
    return broker


def daphne_process(log_path: Path, env: dict[str, str], *, port: int | None = None):
    """daphne serving the project on `port`; ready once /health/ answers (200 or 503)."""
    port = port or free_port()
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
        "supportdesk.asgi:application",
    ]
    server = ManagedProcess(
        log_path.stem,
        command,
        env=env,
        log_path=log_path,
        ready=lambda: url_answers(f"http://127.0.0.1:{port}/health/"),
    )
    server.port = port
    return server


def celery_worker_process(log_path: Path, env: dict[str, str]) -> ManagedProcess:
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "supportdesk",
        "worker",
        "--pool",
        "solo",
        "--loglevel",
        "INFO",
        "--without-heartbeat",
        "--without-gossip",
        "--without-mingle",
    ]

    def ready() -> bool:  # the worker logs "ready." once it consumes
        try:
            return " ready." in log_path.read_text(errors="replace").rsplit("--- ", 1)[-1]
        except OSError:
            return False

    return ManagedProcess(
        "celery worker", command, env=env, log_path=log_path, ready=ready, start_timeout=120
    )


HAPROXY_CONFIG = """\
global
    maxconn 4096
    log stdout format raw local0 info

defaults
    mode http
    log global
    option httplog
    timeout connect 2s
    timeout client 120s
    timeout server 120s
    # A websocket is a tunnel once upgraded.
    timeout tunnel 1h
    # A connection refused by a dead server is retried on the other one at once, and
    # that server is marked down then, not only at the next failed health check.
    retries 2
    option redispatch 1

frontend supportdesk
    bind 127.0.0.1:{port}
    default_backend daphne

backend daphne
    balance roundrobin
    # /health/ answers 200, or 503 while a component (a bot model, a heartbeat) fails:
    # either way the process serves; one that answers nothing is taken out.
    option httpchk
    http-check send meth GET uri /health/ ver HTTP/1.1 hdr Host 127.0.0.1
    http-check expect rstatus ^(200|503)$
    # Which process served: lets a test put a customer and an agent on different ones.
    http-response set-header X-Served-By %[srv_name]
    # A process that is up is checked every 2 s: each check is a Django request with
    # several queries in the process's database thread (about 7 ms of its CPU under load,
    # PostgreSQL's besides), a cost only a scaled-out installation pays. One that failed a
    # check, or is down, is checked every 500 ms, so it leaves and comes back as quickly
    # as before; a dead one leaves at its first refused connection anyway (observe layer4).
    default-server inter 2s fastinter 500ms downinter 500ms fall 2 rise 2 \
on-marked-down shutdown-sessions
    # /health/ is a Django view: it waits in the process's database thread behind the
    # chat's work. Under load that took longer than the 500 ms interval (then HAProxy's
    # check timeout); two such answers would mark a busy process down and cut
    # every socket on it. A dead one is still taken out at its first refused connection.
    timeout check 3s
{servers}
"""


def haproxy_process(workdir: Path, backends: dict[str, int]) -> ManagedProcess:
    """HAProxy (Debian's package) in front of the daphne processes `backends` (name: port),
    round-robin, websocket-capable, health-checked on /health/. Ready once every backend
    has served a request through it."""
    port = free_port()
    servers = "\n".join(
        # A refused connection marks the server down at once, before its next health check.
        f"    server {name} 127.0.0.1:{backend_port} check"
        " observe layer4 error-limit 1 on-error mark-down"
        for name, backend_port in backends.items()
    )
    config = workdir / "haproxy.cfg"
    config.write_text(HAPROXY_CONFIG.format(port=port, servers=servers))
    seen: set[str] = set()

    def ready() -> bool:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health/", timeout=2) as answer:
                seen.add(answer.headers.get("X-Served-By", ""))
        except urllib.error.HTTPError as answer:
            seen.add(answer.headers.get("X-Served-By", ""))
        except OSError:
            return False
        return set(backends) <= seen

    balancer = ManagedProcess(
        "haproxy",
        [HAPROXY, "-db", "-f", str(config)],
        env=dict(os.environ),
        log_path=workdir / "haproxy.log",
        ready=ready,
    )
    balancer.url = f"http://127.0.0.1:{port}"
    balancer.port = port
    return balancer


def artifacts_keep(name: str, *paths: Path) -> Path:
    """Copy logs to var/test-artifacts/<name>/ (for a failed run) and say where."""
    target = ARTIFACTS / name
    target.mkdir(parents=True, exist_ok=True)
    for path in paths:
        if path.is_dir():
            shutil.copytree(path, target / path.name, dirs_exist_ok=True)
        elif path.exists():
            shutil.copy2(path, target / path.name)
    return target
