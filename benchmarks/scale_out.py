"""Scale-out: two daphne processes behind HAProxy, on PostgreSQL and channels-redis.

    .venv/bin/python benchmarks/scale_out.py [--customers 10] [--messages 10]

Starts its own Redis (free port, nothing persisted), two daphne processes and
HAProxy (Debian's package, round-robin, health check on /health/) in front of
them, on a fresh PostgreSQL database (SERVICES_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/supportdesk_scale_out) with the demo data.
N customers connect through the balancer, consent, identify and ask for a
person; one agent watches each conversation on the *other* daphne process.

Printed:
- connect latency: from opening the socket to identified (through the balancer);
- round trip across processes: a customer's message reaches the agent's socket on
  the other process, the agent answers (the reply form, POST), the answer reaches the
  customer: p50/p95;
- Redis restart: time from Redis serving again until a customer's message reaches
  the agent on the other process live again (and an agent's reply the customer);
- kill -9 of the daphne process the customers on it were sending through: each
  one's reconnect time (from the kill to resumed on the other process with its
  resume token) and messages lost or duplicated (from the acknowledgements and
  each conversation's stored history; both must be 0).

tests/supportdesk/test_scale_out.py runs the same steps (plus a broker restart)
and asserts on them.
"""

import argparse
import asyncio
import http.cookiejar
import json
import os
import re
import secrets
import string
import sys
import tempfile
import time
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import websockets

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TIMEOUT = 30.0


def case_word() -> str:
    """A random word naming a benchmark's case in its messages. Letters only: the inbox
    finds the case by it in the redacted preview, where letters mixed with digits are an
    [ID]."""
    return "".join(secrets.choice(string.ascii_lowercase) for _ in range(10))


class Disconnected(Exception):
    """The server closed the customer's socket while the customer waited for an answer."""


class ChatCustomer:
    """A web-chat customer through the balancer.

    Every message has a client id; it counts as sent once acknowledged (stored). After a
    dropped connection resume() says hello again with the resume token and the last seq
    seen, and resends what was not acknowledged under the same ids (the server stores a
    client id once).
    """

    def __init__(self, base_url: str, *, timeout: float = TIMEOUT) -> None:
        self.ws_url = base_url.replace("http", "ws", 1) + "/ws/chat/"
        self.origin = base_url
        self.timeout = timeout
        self.nonce = case_word()
        self.token: str | None = None
        self.last_seq = 0
        self.frames: list[dict] = []
        self.sent: dict[str, str] = {}  # client id -> text, every message ever sent
        self.acked: dict[str, int] = {}  # client id -> seq
        self.ws = None
        self.served_by = ""
        self.changed = asyncio.Event()
        self.closed_at: float | None = None

    # Connection ----------------------------------------------------------------------

    async def _open(self, deadline: float) -> None:
        while True:
            try:
                self.ws = await websockets.connect(
                    self.ws_url, origin=self.origin, open_timeout=self.timeout, max_queue=None
                )
                break
            except (OSError, websockets.InvalidHandshake, TimeoutError) as error:
                if time.monotonic() > deadline:
                    raise AssertionError(f"customer could not connect: {error!r}") from error
                await asyncio.sleep(0.2)
        self.served_by = self.ws.response.headers.get("X-Served-By", "")
        self.closed_at = None
        asyncio.create_task(self._read(self.ws))

    async def _read(self, ws) -> None:
        try:
            async for raw in ws:
                frame = json.loads(raw)
                self.frames.append(frame)
                if frame.get("type") == "ack" and frame.get("id") in self.sent:
                    self.acked[frame["id"]] = frame["seq"]
                if frame.get("type") == "message" and isinstance(frame.get("seq"), int):
                    self.last_seq = max(self.last_seq, frame["seq"])
                self.changed.set()
        except websockets.ConnectionClosed:
            pass
        finally:
            if ws is self.ws:
                self.closed_at = time.perf_counter()
            self.changed.set()

    @property
    def connected(self) -> bool:
        return self.ws is not None and self.closed_at is None

    async def wait_for(
        self, predicate, what: str, timeout: float | None = None, *, on_this_socket=False
    ):
        """The first truthy value of predicate(), or AssertionError naming `what`;
        Disconnected if `on_this_socket` and the socket closes first."""
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            self.changed.clear()
            found = predicate()
            if found:
                return found
            if on_this_socket and not self.connected:
                raise Disconnected(f"customer ({self.served_by}): closed waiting for {what}")
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(
                    f"customer ({self.served_by}): {what} not within "
                    f"{timeout or self.timeout:.0f} s; last frames: {self.frames[-4:]}"
                )
            try:
                await asyncio.wait_for(self.changed.wait(), remaining)
            except TimeoutError:
                pass

    def _new_frame(self, start: int, frame_type: str, **match):
        for frame in self.frames[start:]:
            if frame.get("type") == frame_type and all(frame.get(k) == v for k, v in match.items()):
                return frame
        return None

    async def _request(self, frame: dict, reply_type: str, **match) -> dict:
        start = len(self.frames)
        await self.ws.send(json.dumps(frame))
        return await self.wait_for(
            lambda: self._new_frame(start, reply_type, **match),
            f"{reply_type} after {frame}",
            on_this_socket=True,
        )

    async def start(self) -> float:
        """Connect, consent, identify; returns the seconds from connecting to identified."""
        started = time.perf_counter()
        await self._open(time.monotonic() + self.timeout)
        welcome = await self._request(
            {"type": "hello", "conversation": None, "lang": "de"}, "welcome"
        )
        self.token = welcome["conversation"]
        version = welcome["consent"]["policy_version"]
        await self._request(
            {"type": "consent", "accept": True, "policy_version": version}, "consent.accepted"
        )
        await self._request(
            {"type": "identify", "name": "Test Kunde", "email": f"{self.nonce}@example.org"},
            "identified",
        )
        return time.perf_counter() - started

    async def escalate(self) -> None:
        """Ask for a person, in a message naming this customer's case (the inbox preview)."""
        await self.send_and_wait(f"Bitte einen Mitarbeiter, Fall {self.nonce}")
        start = len(self.frames)
        await self.ws.send(json.dumps({"type": "escalate"}))
        await self.wait_for(lambda: self._new_frame(start, "status"), "escalation")

    async def resume(self) -> None:
        """Reconnect through the balancer, resume the conversation, resend what is unacked;
        again while the server closes the connection (a component still down)."""
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                await self._resume_once(deadline)
                return
            except Disconnected:
                if time.monotonic() > deadline:
                    raise AssertionError("customer: could not resume") from None
                await asyncio.sleep(0.3)

    async def _resume_once(self, deadline: float) -> None:
        if self.ws is not None:
            await self.ws.close()
        await self._open(deadline)
        welcome = await self._request(
            {"type": "hello", "conversation": self.token, "since": self.last_seq}, "welcome"
        )
        if not welcome["resumed"]:
            raise AssertionError(f"the conversation was not resumed: {welcome}")
        for message in welcome["history"]:
            self.last_seq = max(self.last_seq, message["seq"])
        for client_id in self.unacked():
            await self.ws.send(
                json.dumps({"type": "message", "id": client_id, "text": self.sent[client_id]})
            )
        await self.wait_for(
            lambda: not self.unacked(), "acknowledgements after resume", on_this_socket=True
        )

    def unacked(self) -> list[str]:
        return [client_id for client_id in self.sent if client_id not in self.acked]

    # Messages ------------------------------------------------------------------------

    async def send(self, text: str) -> str:
        """Send a message; a dropped connection leaves it unacked for resume()."""
        client_id = uuid.uuid4().hex
        self.sent[client_id] = text
        try:
            await self.ws.send(json.dumps({"type": "message", "id": client_id, "text": text}))
        except websockets.ConnectionClosed:
            pass
        return client_id

    async def send_and_wait(self, text: str) -> int:
        client_id = await self.send(text)
        return await self.wait_for(lambda: self.acked.get(client_id), f"ack of {text!r}")

    def agent_message(self, text: str):
        return next(
            (
                f
                for f in self.frames
                if f.get("type") == "message" and f.get("from") == "agent" and f["text"] == text
            ),
            None,
        )

    async def history_check(self) -> tuple[int, int]:
        """(lost, duplicated) of everything sent, from the conversation as stored."""
        history = (
            await self._request(
                {"type": "hello", "conversation": self.token, "since": 0}, "welcome"
            )
        )["history"]
        texts = [m["text"] for m in history if m["from"] == "customer"]
        lost = sum(1 for text in self.sent.values() if text not in texts)
        duplicated = sum(texts.count(text) - 1 for text in set(self.sent.values()) if text in texts)
        duplicated += len(history) - len({m["seq"] for m in history})
        return lost, duplicated


class InboxAgent:
    """An agent signed in through the balancer: the inbox socket, conversation sockets and
    the reply form (POST with the CSRF token, as the page's script does)."""

    def __init__(self, base_url: str, username: str, password: str) -> None:
        self.base_url = base_url
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        page = self.opener.open(f"{base_url}/inbox/login/", timeout=TIMEOUT).read().decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        data = urllib.parse.urlencode(
            {"username": username, "password": password, "csrfmiddlewaretoken": token}
        ).encode()
        self.opener.open(
            urllib.request.Request(
                f"{base_url}/inbox/login/", data=data, headers={"Referer": base_url}
            ),
            timeout=TIMEOUT,
        ).read()
        if "sessionid" not in self._cookies():
            raise AssertionError(f"{username} could not sign in")
        self.inbox_frames: list[dict] = []
        self.sockets: dict[str, AgentSocket] = {}

    def _cookies(self) -> dict[str, str]:
        return {cookie.name: cookie.value for cookie in self.jar}

    def _headers(self) -> dict[str, str]:
        return {"Cookie": "; ".join(f"{k}={v}" for k, v in self._cookies().items())}

    async def connect(self, path: str) -> "AgentSocket":
        ws = await websockets.connect(
            self.base_url.replace("http", "ws", 1) + path,
            origin=self.base_url,
            additional_headers=self._headers(),
            open_timeout=TIMEOUT,
            max_queue=None,
        )
        return AgentSocket(ws)

    async def conversation_of(self, inbox: "AgentSocket", nonce: str) -> str:
        """The public id of the conversation whose preview names `nonce`, from the inbox."""
        frame = await inbox.wait_for(
            lambda f: (
                f.get("type") == "conversation.update"
                and nonce in (f["conversation"].get("preview") or "")
            ),
            f"the escalation of case {nonce} in the inbox",
        )
        return re.search(r"/c/([0-9a-f-]{36})/", frame["conversation"]["url"]).group(1)

    async def watch(self, public_id: str, *, avoid: str = "", attempts: int = 8):
        """A conversation socket, on another daphne process than `avoid` if given."""
        path = f"/ws/inbox/conversations/{uuid.UUID(public_id).hex}/"
        for _ in range(attempts):
            socket = await self.connect(path)
            await socket.wait_for(lambda f: f.get("type") == "conversation.ready", "ready")
            if not avoid or socket.served_by != avoid:
                return socket
            await socket.ws.close()
        raise AssertionError(f"the balancer never put the agent on another process than {avoid}")

    def reply(self, public_id: str, text: str) -> int:
        data = urllib.parse.urlencode(
            {"text": text, "csrfmiddlewaretoken": self._cookies()["csrftoken"]}
        ).encode()
        request = urllib.request.Request(
            f"{self.base_url}/inbox/c/{public_id}/reply/",
            data=data,
            headers={"Accept": "application/json", "Referer": self.base_url},
        )
        with self.opener.open(request, timeout=TIMEOUT) as response:
            return json.loads(response.read())["seq"]


class AgentSocket:
    def __init__(self, ws) -> None:
        self.ws = ws
        self.served_by = ws.response.headers.get("X-Served-By", "")
        self.frames: list[dict] = []
        self.changed = asyncio.Event()
        asyncio.create_task(self._read())

    async def _read(self) -> None:
        try:
            async for raw in self.ws:
                self.frames.append(json.loads(raw))
                self.changed.set()
        except websockets.ConnectionClosed:
            pass
        finally:
            self.changed.set()

    async def wait_for(self, predicate, what: str, timeout: float = TIMEOUT, start: int = 0):
        deadline = time.monotonic() + timeout
        while True:
            self.changed.clear()
            found = next((f for f in self.frames[start:] if predicate(f)), None)
            if found:
                return found
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(
                    f"agent ({self.served_by}): {what} not within {timeout:.0f} s; "
                    f"last frames: {self.frames[-4:]}"
                )
            try:
                await asyncio.wait_for(self.changed.wait(), remaining)
            except TimeoutError:
                pass

    def customer_message(self, text: str):
        return next(
            (f for f in self.frames if f.get("from") == "customer" and f.get("text") == text), None
        )


@dataclass
class Pair:
    """A customer and the agent's socket on its conversation, on another process."""

    customer: ChatCustomer
    public_id: str
    socket: AgentSocket


@dataclass
class Figures:
    connect: list[float] = field(default_factory=list)
    round_trip: list[float] = field(default_factory=list)
    redis_recovery: float = float("nan")
    reconnect: list[float] = field(default_factory=list)
    noticed: list[float] = field(default_factory=list)  # kill → the customer's socket closed
    lost: int = 0
    duplicated: int = 0


# The steps (the test runs them too) ---------------------------------------------------


async def pairs_open(base_url: str, agent: InboxAgent, count: int, figures: Figures) -> list[Pair]:
    """`count` customers escalated, each watched by the agent on the other process."""
    inbox = await agent.connect("/ws/inbox/")
    await inbox.wait_for(lambda f: f.get("type") == "inbox.ready", "inbox.ready")
    customers = [ChatCustomer(base_url) for _ in range(count)]
    figures.connect += await asyncio.gather(*(c.start() for c in customers))
    await asyncio.gather(*(c.escalate() for c in customers))
    pairs = []
    for customer in customers:
        public_id = await agent.conversation_of(inbox, customer.nonce)
        socket = await agent.watch(public_id, avoid=customer.served_by)
        pairs.append(Pair(customer, public_id, socket))
    await inbox.ws.close()
    return pairs


async def round_trip(agent: InboxAgent, pair: Pair, label: str, timeout: float = TIMEOUT) -> float:
    """Customer → agent's socket (other process) → reply form → customer; the seconds."""
    started = time.perf_counter()
    question = f"{label}: Frage {uuid.uuid4().hex[:8]}"
    await pair.customer.send_and_wait(question)
    await pair.socket.wait_for(
        lambda f: f.get("from") == "customer" and f.get("text") == question,
        f"the customer's message {question!r} live",
        timeout=timeout,
    )
    answer = f"{label}: Antwort {uuid.uuid4().hex[:8]}"
    await asyncio.to_thread(agent.reply, pair.public_id, answer)
    await pair.customer.wait_for(
        lambda: pair.customer.agent_message(answer), f"the agent's reply {answer!r} live", timeout
    )
    return time.perf_counter() - started


async def redis_restart_recovery(agent: InboxAgent, pairs: list[Pair], redis) -> float:
    """Stop Redis, send, start it again; the seconds from it serving again until every
    customer is back (resumed if its socket was closed, its messages acknowledged) and a
    message reaches the agent on the other process live and the reply comes back."""
    await asyncio.to_thread(redis.stop)
    for pair in pairs:  # not acknowledged while Redis is down: resent on resume
        await pair.customer.send(f"Während Redis steht {uuid.uuid4().hex[:8]}")
    await asyncio.sleep(1)
    await asyncio.to_thread(redis.start)
    up = time.perf_counter()
    for pair in pairs:
        customer = pair.customer
        try:
            await customer.wait_for(
                lambda customer=customer: not customer.unacked(),
                "acknowledgements after the Redis restart",
                timeout=2,
                on_this_socket=True,
            )
        except (Disconnected, AssertionError):
            await customer.resume()
    deadline = time.monotonic() + 60
    while True:  # a message sent before the layer resubscribed is stored, not shown live
        try:
            await round_trip(agent, pairs[0], "Nach dem Redis-Neustart", timeout=2)
            break
        except AssertionError:
            if time.monotonic() > deadline:
                raise
    recovered = time.perf_counter() - up
    for other in pairs[1:]:
        await round_trip(agent, other, "Nach dem Redis-Neustart")
    return recovered


async def kill_and_resume(
    agent: InboxAgent, pairs: list[Pair], servers: dict, messages: int, figures: Figures
) -> str:
    """Customers keep sending while the daphne process of the first one is killed (-9);
    those on it resume through the balancer on the other process. Returns the killed name."""
    victim = pairs[0].customer.served_by
    on_victim = [p for p in pairs if p.customer.served_by == victim]
    killed_at = 0.0

    async def keep_sending(pair: Pair) -> None:
        customer = pair.customer
        for n in range(messages):
            if not customer.connected:
                figures.noticed.append(customer.closed_at - killed_at)
                await customer.resume()
                figures.reconnect.append(time.perf_counter() - killed_at)
            await customer.send(f"Nachricht {n} {customer.nonce}")
            await asyncio.sleep(0.1)
        if not customer.connected:
            figures.noticed.append(customer.closed_at - killed_at)
            await customer.resume()
            figures.reconnect.append(time.perf_counter() - killed_at)
        await customer.wait_for(lambda: not customer.unacked(), "every acknowledgement")

    senders = [asyncio.create_task(keep_sending(p)) for p in pairs]
    await asyncio.sleep(0.1 * messages / 3)
    killed_at = time.perf_counter()
    await asyncio.to_thread(servers[victim].kill)
    await asyncio.gather(*senders)
    for pair in on_victim:
        if pair.customer.served_by == victim:
            raise AssertionError(f"a customer of the killed {victim} is still on it")
    for pair in pairs:
        if pair.socket.served_by == victim:  # the agent's socket died with it: reopen
            pair.socket = await agent.watch(pair.public_id)
        await round_trip(agent, pair, "Nach dem Ausfall")
        lost, duplicated = await pair.customer.history_check()
        figures.lost += lost
        figures.duplicated += duplicated
    return victim


# The benchmark -------------------------------------------------------------------------


def _percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=10)
    parser.add_argument("--messages", type=int, default=10, help="round trips per customer")
    parser.add_argument("--json", action="store_true", help="also print the figures as JSON")
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "supportdesk.settings.test")
    from benchmarks.chat_load import _environment, _prepare_database
    from benchmarks.inbox_latency import AGENT_PASSWORD, _create_agents
    from tests.processes import daphne_process, haproxy_process, redis_process

    os.environ.setdefault(
        "SERVICES_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/supportdesk_scale_out"
    )
    with tempfile.TemporaryDirectory(prefix="supportdesk-scale-out-") as tmp:
        workdir = Path(tmp)
        redis = redis_process(workdir).start()
        os.environ["SERVICES_REDIS_URL"] = redis.url
        env = _environment(argparse.Namespace(services=True), workdir)
        env["SUPPORT_OPENING_HOURS"] = ""
        env["CHAT_RATE_PER_SECOND"] = env["CHAT_RATE_BURST"] = "1000"
        started = [redis]
        try:
            _prepare_database(env, True)
            (username,) = _create_agents(env, 1)
            servers = {
                name: daphne_process(workdir / f"daphne-{name}.log", env).launch()
                for name in ("a", "b")
            }
            started += servers.values()
            for server in servers.values():
                server.wait_ready()
            balancer = haproxy_process(
                workdir, {name: s.port for name, s in servers.items()}
            ).start()
            started.append(balancer)
            figures = asyncio.run(
                _run(balancer.url, username, AGENT_PASSWORD, servers, redis, args)
            )
        except BaseException:
            for process in started:
                print(f"--- {process.name}\n{process.log_tail(2000)}", file=sys.stderr)
            raise
        finally:
            for process in reversed(started):
                process.stop()
    result = {
        "connect_p50_ms": _percentile(figures.connect, 0.5),
        "connect_p95_ms": _percentile(figures.connect, 0.95),
        "round_trip_p50_ms": _percentile(figures.round_trip, 0.5),
        "round_trip_p95_ms": _percentile(figures.round_trip, 0.95),
        "redis_recovery_s": figures.redis_recovery,
        "reconnect_p50_ms": _percentile(figures.reconnect, 0.5),
        "reconnect_max_ms": max(figures.reconnect, default=float("nan")) * 1000,
        "closed_after_kill_p50_ms": _percentile(figures.noticed, 0.5),
        "lost": figures.lost,
        "duplicated": figures.duplicated,
    }
    print(f"{args.customers} customers, 2 daphne processes behind HAProxy, PostgreSQL + Redis")
    print(
        f"connect to identified        p50 {result['connect_p50_ms']:7.1f} ms   "
        f"p95 {result['connect_p95_ms']:7.1f} ms"
    )
    print(
        f"round trip across processes  p50 {result['round_trip_p50_ms']:7.1f} ms   "
        f"p95 {result['round_trip_p95_ms']:7.1f} ms   (n={len(figures.round_trip)})"
    )
    print(f"recovery after Redis restart {figures.redis_recovery:7.2f} s")
    print(
        f"reconnect after kill -9      p50 {result['reconnect_p50_ms']:7.1f} ms   "
        f"max {result['reconnect_max_ms']:7.1f} ms   (n={len(figures.reconnect)})"
    )
    print(
        f"  of which: socket closed p50 {result['closed_after_kill_p50_ms']:7.1f} ms after the kill"
    )
    print(f"messages lost {figures.lost}   duplicated {figures.duplicated}")
    if args.json:
        print(json.dumps(result))
    return 0 if figures.lost == figures.duplicated == 0 else 1


async def _run(base_url, username, password, servers, redis, args) -> Figures:
    figures = Figures()
    agent = await asyncio.to_thread(InboxAgent, base_url, username, password)
    pairs = await pairs_open(base_url, agent, args.customers, figures)
    await round_trip(agent, pairs[0], "Aufwärmen")
    for n in range(args.messages):
        figures.round_trip += await asyncio.gather(
            *(round_trip(agent, pair, f"Runde {n}") for pair in pairs)
        )
    figures.redis_recovery = await redis_restart_recovery(agent, pairs, redis)
    await kill_and_resume(agent, pairs, servers, args.messages, figures)
    return figures


if __name__ == "__main__":
    sys.exit(main())
