"""A local stand-in for the Telegram Bot API, the WhatsApp Cloud API and the Messenger
Send API, on 127.0.0.1 (no network).

It checks the exact request Supportdesk sends (path, token, headers, JSON shape) and
answers with each platform's documented response shapes, including its errors.
Tests queue special answers (429 with Retry-After, 5xx, platform error codes) with
`answer_next`.
"""

import json
import re
import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TELEGRAM_PATH = re.compile(r"^/telegram/bot(?P<token>[^/]+)/(?P<method>\w+)$")
GRAPH_PATH = re.compile(r"^/(?P<platform>whatsapp|messenger)/(?P<account>[^/]+)/messages$")


@dataclass
class Recorded:
    path: str
    headers: dict[str, str]
    body: dict
    status: int
    answer: dict = field(default_factory=dict)

    @property
    def answer_id(self) -> str:
        """The message id the platform answered with."""
        if "messages" in self.answer:
            return self.answer["messages"][0]["id"]
        if "message_id" in self.answer:
            return self.answer["message_id"]
        return str(self.answer["result"]["message_id"])


@dataclass
class Canned:
    status: int
    body: dict
    headers: dict[str, str] = field(default_factory=dict)
    # Requests to let through normally before this answer is given.
    skip: int = 0


def telegram_error(status: int, description: str, retry_after: int | None = None) -> dict:
    body = {"ok": False, "error_code": status, "description": description}
    if retry_after is not None:
        body["parameters"] = {"retry_after": retry_after}
    return body


def graph_error(code: int, message: str, *, subcode: int | None = None, details: str = "") -> dict:
    error = {"message": message, "type": "OAuthException", "code": code, "fbtrace_id": "AbC123"}
    if subcode is not None:
        error["error_subcode"] = subcode
    if details:
        error["error_data"] = {"messaging_product": "whatsapp", "details": details}
    return {"error": error}


class FakePlatforms:
    def __init__(self, *, tokens: dict[str, str], accounts: dict[str, str]) -> None:
        self.tokens = tokens  # platform -> the access token it accepts
        self.accounts = accounts  # whatsapp/messenger -> the phone number id / page id
        self.requests: list[Recorded] = []
        self._canned: deque[tuple[str, Canned]] = deque()
        self._lock = threading.Lock()
        self._next_id = 0
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802  (http.server's name)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = None
                status, answer, headers = fake._answer(self.path, dict(self.headers), body)
                fake.requests.append(
                    Recorded(
                        path=self.path,
                        headers=dict(self.headers),
                        body=body,
                        status=status,
                        answer=answer,
                    )
                )
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args) -> None:  # quiet
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "FakePlatforms":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def answer_next(self, platform: str, status: int, body: dict, headers=None, skip=0) -> None:
        """The next request to `platform` (after `skip` normal ones) gets this answer."""
        self._canned.append((platform, Canned(status, body, dict(headers or {}), skip)))

    # What was sent -------------------------------------------------------------------------

    def sent(self, platform: str) -> list[Recorded]:
        """Requests to a platform's send method that it accepted."""
        return [
            r
            for r in self.requests
            if r.path.startswith(f"/{platform}/") and r.status == 200 and "setWebhook" not in r.path
        ]

    def texts(self, platform: str) -> list[str]:
        texts = []
        for request in self.sent(platform):
            if platform == "telegram":
                texts.append(request.body["text"])
            elif platform == "whatsapp":
                texts.append(request.body["text"]["body"])
            else:
                texts.append(request.body["message"]["text"])
        return texts

    # Answers --------------------------------------------------------------------------------

    def _take_canned(self, platform: str) -> Canned | None:
        with self._lock:
            for position, (target, canned) in enumerate(self._canned):
                if target == platform:
                    if canned.skip:
                        canned.skip -= 1
                        return None
                    del self._canned[position]
                    return canned
        return None

    def _new_id(self) -> int:
        with self._lock:
            self._next_id += 1
            return self._next_id

    def _answer(self, path: str, headers: dict, body) -> tuple[int, dict, dict]:
        telegram = TELEGRAM_PATH.match(path)
        graph = GRAPH_PATH.match(path)
        platform = "telegram" if telegram else graph.group("platform") if graph else None
        if platform is None:
            return 404, {"error": "unknown path"}, {}
        canned = self._take_canned(platform)
        if canned is not None:
            return canned.status, canned.body, canned.headers
        if headers.get("Content-Type") != "application/json" or not isinstance(body, dict):
            return 400, {"error": "expected a JSON object"}, {}
        if telegram:
            return self._telegram(telegram, body)
        return self._graph(platform, graph.group("account"), headers, body)

    def _telegram(self, match: re.Match, body: dict) -> tuple[int, dict, dict]:
        if match.group("token") != self.tokens["telegram"]:
            return 401, telegram_error(401, "Unauthorized"), {}
        if match.group("method") == "setWebhook":
            if not isinstance(body.get("url"), str) or not body.get("secret_token"):
                return 400, telegram_error(400, "Bad Request: bad webhook"), {}
            return 200, {"ok": True, "result": True, "description": "Webhook was set"}, {}
        if match.group("method") != "sendMessage":
            return 404, telegram_error(404, "Not Found"), {}
        chat_id, text = body.get("chat_id"), body.get("text")
        if not isinstance(chat_id, int) or set(body) != {"chat_id", "text"}:
            return 400, telegram_error(400, "Bad Request: chat not found"), {}
        if not isinstance(text, str) or not text or len(text) > 4096:
            return 400, telegram_error(400, "Bad Request: message text is empty"), {}
        message = {
            "message_id": self._new_id(),
            "from": {"id": 999, "is_bot": True, "first_name": "Supportdesk"},
            "chat": {"id": chat_id, "type": "private"},
            "date": 1764000000,
            "text": text,
        }
        return 200, {"ok": True, "result": message}, {}

    def _graph(self, platform: str, account: str, headers: dict, body: dict):
        if headers.get("Authorization") != f"Bearer {self.tokens[platform]}":
            return 401, graph_error(190, "Invalid OAuth access token."), {}
        if account != self.accounts[platform]:
            return 400, graph_error(100, "(#100) Invalid parameter"), {}
        if platform == "whatsapp":
            expected = {"messaging_product", "recipient_type", "to", "type", "text"}
            text = body.get("text") if isinstance(body.get("text"), dict) else {}
            if (
                set(body) != expected
                or body["messaging_product"] != "whatsapp"
                or body["recipient_type"] != "individual"
                or body["type"] != "text"
                or not str(body["to"]).isdigit()
                or not isinstance(text.get("body"), str)
                or not 0 < len(text["body"]) <= 4096
            ):
                return 400, graph_error(100, "(#100) Invalid parameter"), {}
            message_id = f"wamid.HBgL{self._new_id():08d}"
            return (
                200,
                {
                    "messaging_product": "whatsapp",
                    "contacts": [{"input": body["to"], "wa_id": body["to"]}],
                    "messages": [{"id": message_id}],
                },
                {},
            )
        recipient = body.get("recipient") if isinstance(body.get("recipient"), dict) else {}
        message = body.get("message") if isinstance(body.get("message"), dict) else {}
        kind = body.get("messaging_type")
        if (
            not isinstance(recipient.get("id"), str)
            or kind not in ("RESPONSE", "UPDATE", "MESSAGE_TAG")
            or (kind == "MESSAGE_TAG") != ("tag" in body)
            or not isinstance(message.get("text"), str)
        ):
            return 400, graph_error(100, "(#100) Invalid parameter"), {}
        if len(message["text"]) > 2000:
            return (
                400,
                graph_error(
                    100, "(#100) Length of param message[text] must be less than or equal to 2000"
                ),
                {},
            )
        return 200, {"recipient_id": recipient["id"], "message_id": f"m_{self._new_id()}"}, {}
