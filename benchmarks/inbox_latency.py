"""Latency of the agent inbox: escalation → inbox update, agent reply → customer.

    .venv/bin/python benchmarks/inbox_latency.py [--conversations 100] [--agents 10]
        [--ramp SECONDS] [--services]

Starts daphne with the project's own ASGI application (session-authenticated
websockets), on a fresh database with the demo data (embedded default:
SQLite and the in-memory channel layer; --services: PostgreSQL and
channels-redis, as benchmarks/chat_load.py). N agents of one queue sign in
through the login form and open /ws/inbox/. Then M customers, all at once,
consent, identify and ask for a person:

All customers are connected at once; their escalations come in one burst
(--ramp 0, the worst case) or spread evenly over --ramp seconds.

- escalation → inbox: from sending the customer's message until each agent's
  inbox socket shows the conversation (the first agent, and every agent);
- reply → customer: each agent answers its share of the conversations one
  after another through the reply form (POST, CSRF, as the page's script does),
  timed from the request until the customer's socket shows the reply.

Printed: p50/p95/max of both, and lost updates (conversations an agent or a
customer never saw).
"""

import argparse
import asyncio
import http.cookiejar
import json
import re
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import websockets

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.chat_load import (  # noqa: E402
    ROOT,
    _environment,
    _free_port,
    _percentile,
    _prepare_database,
    _start_server,
)
from benchmarks.scale_out import case_word  # noqa: E402

BENCH_QUEUE = "kundenservice-de"
AGENT_PASSWORD = "bench-agent-password-2026"
TIMEOUT = 60.0


@dataclass
class Figures:
    escalation_first: list[float] = field(default_factory=list)
    escalation_every: list[float] = field(default_factory=list)
    reply: list[float] = field(default_factory=list)
    lost_updates: int = 0
    lost_replies: int = 0
    errors: list[str] = field(default_factory=list)


def _create_agents(env: dict[str, str], count: int) -> list[str]:
    names = [f"bench-agent-{n}" for n in range(count)]
    code = (
        "from django.contrib.auth import get_user_model\n"
        "from django.contrib.auth.models import Group\n"
        "from agents.models import AgentProfile, Queue\n"
        f"queue = Queue.objects.get(slug={BENCH_QUEUE!r})\n"
        f"for name in {names!r}:\n"
        "    user, _ = get_user_model().objects.get_or_create(username=name)\n"
        f"    user.set_password({AGENT_PASSWORD!r}); user.save()\n"
        "    user.groups.add(Group.objects.get(name='agent'))\n"
        "    queue.members.add(user)\n"
        "    AgentProfile.objects.get_or_create(user=user, defaults={'display_name': name,"
        " 'availability': 'online'})\n"
    )
    subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "shell", "-c", code],
        env=env,
        check=True,
        cwd=ROOT,
    )
    return names


class AgentSession:
    """A signed-in agent: cookies for the websocket, CSRF token for the reply form."""

    def __init__(self, base: str, username: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        page = self.opener.open(f"{base}/inbox/login/", timeout=30).read().decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        data = urllib.parse.urlencode(
            {"username": username, "password": AGENT_PASSWORD, "csrfmiddlewaretoken": token}
        ).encode()
        self.opener.open(
            urllib.request.Request(f"{base}/inbox/login/", data=data, headers={"Referer": base}),
            timeout=30,
        ).read()
        if "sessionid" not in self.cookies():
            raise SystemExit(f"{username} could not sign in")

    def cookies(self) -> dict[str, str]:
        return {cookie.name: cookie.value for cookie in self.jar}

    def cookie_header(self) -> str:
        return "; ".join(f"{name}={value}" for name, value in self.cookies().items())

    def reply(self, url: str, text: str) -> int:
        data = urllib.parse.urlencode(
            {"text": text, "csrfmiddlewaretoken": self.cookies()["csrftoken"]}
        ).encode()
        request = urllib.request.Request(
            f"{self.base}{url}reply/",
            data=data,
            headers={"Accept": "application/json", "Referer": self.base},
        )
        with self.opener.open(request, timeout=TIMEOUT) as response:
            return json.loads(response.read())["seq"]


async def _receive(ws, timeout: float = TIMEOUT) -> dict:
    return json.loads(await asyncio.wait_for(ws.recv(), timeout))


async def _agent_inbox(ws, nonces: dict[str, float], seen: dict, figures: Figures, total: int):
    """Collect each conversation's first appearance in this agent's inbox."""
    got: set[str] = set()
    try:
        while len(got) < total:
            frame = await _receive(ws)
            if frame.get("type") != "conversation.update":
                continue
            row = frame["conversation"]
            match = re.search(r"Fall (\w+)", row["preview"])
            if not match or match.group(1) in got or match.group(1) not in nonces:
                continue
            nonce = match.group(1)
            got.add(nonce)
            now = time.perf_counter()
            figures.escalation_every.append(now - nonces[nonce])
            if nonce not in seen:
                seen[nonce] = row["url"]
                figures.escalation_first.append(now - nonces[nonce])
    except TimeoutError:
        figures.lost_updates += total - len(got)


async def _customer(
    url: str, origin: str, nonce: str, sent: dict, replies: dict, figures, *, delay: float
):
    try:
        async with websockets.connect(url, origin=origin, open_timeout=60, max_queue=None) as ws:
            await ws.send(json.dumps({"type": "hello", "conversation": None, "lang": "de"}))
            welcome = await _receive(ws)
            await ws.send(
                json.dumps(
                    {
                        "type": "consent",
                        "accept": True,
                        "policy_version": welcome["consent"]["policy_version"],
                    }
                )
            )
            await _receive(ws)
            await ws.send(
                json.dumps(
                    {"type": "identify", "name": "Test Kunde", "email": f"{nonce}@example.org"}
                )
            )
            await _receive(ws)
            await asyncio.sleep(delay)
            sent[nonce] = time.perf_counter()
            await ws.send(
                json.dumps(
                    {
                        "type": "message",
                        "id": uuid.uuid4().hex,
                        "text": f"Bitte mit einem Mitarbeiter sprechen, Fall {nonce}",
                    }
                )
            )
            while True:  # until the agent's reply arrives
                frame = await _receive(ws, timeout=TIMEOUT * 3)
                if frame.get("type") == "message" and frame.get("from") == "agent":
                    started = replies.get(nonce)
                    if started is not None:
                        figures.reply.append(time.perf_counter() - started)
                    return
    except TimeoutError:
        figures.lost_replies += 1
    except Exception as error:  # counted, not raised: one failure must not hide the rest
        figures.errors.append(f"{type(error).__name__}: {error}")


async def _agent_replies(session: AgentSession, share: list[str], seen: dict, replies: dict):
    for nonce in share:
        deadline = time.monotonic() + TIMEOUT
        while nonce not in seen and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        if nonce not in seen:
            continue
        replies[nonce] = time.perf_counter()
        await asyncio.to_thread(session.reply, seen[nonce], f"Wir kümmern uns, Fall {nonce}.")


async def _run(
    port: int, sessions: list[AgentSession], conversations: int, *, ramp: float
) -> Figures:
    origin = f"http://127.0.0.1:{port}"
    figures = Figures()
    nonces = [case_word() for _ in range(conversations)]
    sent: dict[str, float] = {}
    seen: dict[str, str] = {}
    replies: dict[str, float] = {}
    inboxes = []
    for session in sessions:
        ws = await websockets.connect(
            f"ws://127.0.0.1:{port}/ws/inbox/",
            origin=origin,
            additional_headers={"Cookie": session.cookie_header()},
            max_queue=None,
        )
        assert (await _receive(ws))["type"] == "inbox.ready"
        inboxes.append(ws)
    watchers = [
        asyncio.create_task(_agent_inbox(ws, sent, seen, figures, conversations)) for ws in inboxes
    ]
    customers = [
        asyncio.create_task(
            _customer(
                f"ws://127.0.0.1:{port}/ws/chat/",
                origin,
                nonce,
                sent,
                replies,
                figures,
                delay=ramp * n / conversations,
            )
        )
        for n, nonce in enumerate(nonces)
    ]
    shares = [nonces[n :: len(sessions)] for n in range(len(sessions))]
    answering = [
        asyncio.create_task(_agent_replies(session, share, seen, replies))
        for session, share in zip(sessions, shares, strict=True)
    ]
    await asyncio.gather(*watchers, *answering, *customers)
    for ws in inboxes:
        await ws.close()
    return figures


def _line(name: str, values: list[float]) -> dict:
    figures = {
        "n": len(values),
        "p50_ms": _percentile(values, 0.50),
        "p95_ms": _percentile(values, 0.95),
        "max_ms": max(values) * 1000 if values else float("nan"),
    }
    print(
        f"{name:<34} n={figures['n']:<5} p50 {figures['p50_ms']:8.1f} ms   "
        f"p95 {figures['p95_ms']:8.1f} ms   max {figures['max_ms']:8.1f} ms"
    )
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--conversations", type=int, default=100)
    parser.add_argument("--agents", type=int, default=10)
    parser.add_argument(
        "--ramp",
        type=float,
        default=0.0,
        help="spread the escalations over this many seconds (default 0: all at once)",
    )
    parser.add_argument("--services", action="store_true", help="PostgreSQL + channels-redis")
    parser.add_argument("--json", action="store_true", help="also print the figures as JSON")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="supportdesk-inbox-bench-") as tmp:
        workdir = Path(tmp)
        env = _environment(args, workdir)
        env["SUPPORT_OPENING_HOURS"] = ""  # agents always there: every escalation is routed
        _prepare_database(env, args.services)
        usernames = _create_agents(env, args.agents)
        port = _free_port()
        server = _start_server(
            env,
            port,
            workdir / "daphne.log",
            application="supportdesk.asgi:application",
            ready_path="/inbox/login/",
        )
        try:
            base = f"http://127.0.0.1:{port}"
            sessions = [AgentSession(base, name) for name in usernames]
            mode = "PostgreSQL + channels-redis" if args.services else "SQLite + in-memory layer"
            print(f"{args.conversations} conversations, {args.agents} agents, {mode}")
            # Warm-up, not measured: the first question loads the answerer and the
            # redaction name lists, which a running server has done long before.
            asyncio.run(_run(port, sessions[:1], 1, ramp=0.0))
            figures = asyncio.run(_run(port, sessions, args.conversations, ramp=args.ramp))
        finally:
            server.terminate()
            server.wait(timeout=20)
    result = {
        "escalation_to_first_agent": _line(
            "escalation → inbox (first agent)", figures.escalation_first
        ),
        "escalation_to_every_agent": _line(
            "escalation → inbox (every agent)", figures.escalation_every
        ),
        "reply_to_customer": _line("agent reply → customer", figures.reply),
        "lost_updates": figures.lost_updates,
        "lost_replies": figures.lost_replies,
        "errors": len(figures.errors),
    }
    print(
        f"lost inbox updates {figures.lost_updates}   lost replies {figures.lost_replies}   "
        f"errors {len(figures.errors)}"
    )
    if figures.errors:
        print(f"first errors: {sorted(set(figures.errors))[:5]}")
    if args.json:
        print(json.dumps(result))
    clean = figures.lost_updates == figures.lost_replies == len(figures.errors) == 0
    return 0 if clean else 1


if __name__ == "__main__":
    sys.exit(main())
