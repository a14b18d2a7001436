"""The customer chat websocket, /ws/chat/ (protocol v1, README "Chat protocol").

Parses and validates frames, calls one verb of bot.chat, sends the result.
Bad input gets an error frame with a stable code and a detail in the
customer's language; the connection stays open.
"""

import asyncio
import functools
import logging
import time
import weakref
from collections import deque
from collections.abc import Callable, Sequence

from channels.db import database_sync_to_async
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from redis.exceptions import RedisError

from bot import chat, conversation_setup, customer_presence, follow_ups, hooks
from bot.dialog import Reply, waiting_notice
from bot.disclosure import ai_disclosure
from bot.models import Conversation
from bot.selectors import conversation_get_by_resume_token, message_list_since
from bot.services import conversation_start
from event_pipeline import events
from platform_core.answer_markup import answer_html
from platform_core.cache import counters_increment
from platform_core.consumers import REFUSED, JsonConsumer
from privacy.services import ConsentError, policy_version_active
from privacy.tasks import verification_mails_batched

logger = logging.getLogger(__name__)

PROTOCOL_VERSION = 1
MAX_FRAME_BYTES = 64 * 1024
CLIENT_ID_MAX_LENGTH = 64
SUPPORTED_LANGUAGES = ("de", "en")

ERROR_DETAILS = {
    "text_frames_only": _("Send JSON text frames."),
    "frame_too_large": _("This message is too long."),
    "invalid_json": _("This is not valid JSON."),
    "invalid_frame": _('Every frame is a JSON object with a "type".'),
    "invalid_text": _(
        "Your message contains characters we cannot store (such as NUL). Please remove them."
    ),
    "hello_required": _('Start with a "hello" frame.'),
    "unknown_type": _("Unknown frame type."),
    "missing_field": _("A required field is missing or has the wrong type."),
    "text_too_long": _("Your message is too long. Please shorten it."),
    "empty_text": _("Please write a message."),
    "rate_limited": _("You are sending messages too quickly. Please wait a moment."),
    "consent_required": _("Please accept the privacy policy before you write to us."),
    "consent_declined": _("Without your consent we cannot use the chat."),
    "identity_required": _("Please tell us who you are first."),
    "identity_incomplete": _("Please fill in every requested field."),
    "field_not_requested": _("We do not ask for this information."),
    "invalid_identity": _("Please check your details."),
    "policy_outdated": _("This privacy policy version is outdated. Please read the current one."),
    "no_policy": _("No privacy policy is published yet, so the chat cannot start."),
    "invalid_purpose": _("Unknown consent purpose."),
    "unknown_message": _("There is no such bot answer in this conversation."),
    "conversation_closed": _("This conversation has ended. Start a new one."),
    "invalid_rating": _("Please rate from 1 to 5."),
    "not_resolved": _("You can rate the conversation once it is resolved."),
    "invalid_email": _("Please enter a valid e-mail address."),
    "follow_up_consent_required": _(
        "Please agree that we may send our answer to this address by e-mail."
    ),
    "follow_up_unavailable": _("We cannot send our answer by e-mail here."),
    "conversation_not_found": _(
        "We could not find that conversation, so we started a new one for you."
    ),
}


class TokenBucket:
    """Rate limit per connection: `rate` frames per second, bursts up to `burst`."""

    def __init__(self, *, rate: float, burst: int) -> None:
        self.rate, self.burst = rate, burst
        self.tokens, self.updated = float(burst), time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


def conversations_rate_allow(conversations: Sequence[Conversation]) -> list[bool]:
    """Per message (its conversation), whether the conversation's rate allows it, across
    all its connections (and daphne processes); the messages of a batch counted together,
    in one round trip to Redis.

    A fixed window holding one burst: on average CHAT_RATE_PER_SECOND.
    """
    window_seconds = max(1, round(settings.CHAT_RATE_BURST / settings.CHAT_RATE_PER_SECOND))
    window = int(time.time() // window_seconds)
    keys = [f"chat-rate:{conversation.public_id.hex}:{window}" for conversation in conversations]
    try:
        # Run in the database thread: the process's cache object, not one per context.
        counts = counters_increment(keys, timeout=window_seconds * 2)
    except RedisError:
        # Redis unreachable (restarting, say): the shared limit fails open rather than
        # closing every chat socket; the per-connection limit still holds meanwhile.
        logger.warning("Chat rate limit skipped: the cache cannot be reached.")
        return [True] * len(conversations)
    return [count <= settings.CHAT_RATE_BURST for count in counts]


def _messages_receive(incoming: list[chat.IncomingMessage]) -> list[chat.ReceiveResult]:
    """Runs in the database thread: the rate checks and the messages, in one hop."""
    allowed = conversations_rate_allow([item.conversation for item in incoming])
    received = iter(
        chat.chat_messages_receive([item for item, ok in zip(incoming, allowed, strict=True) if ok])
    )
    return [
        next(received) if ok else chat.ChatError("rate limited", code="rate_limited")
        for ok in allowed
    ]


# What a set-up step may refuse with: raised before its writes or inside the savepoint of
# its verb (rolled back), so the batch's transaction is intact and goes on without it.
SET_UP_REFUSALS = (chat.ChatError, ConsentError, ValidationError)


def _set_up_steps_run(steps: list[functools.partial]) -> list[tuple[bool, object]]:
    """Runs in the database thread: set-up steps (hello, consent, identification) waiting
    together, in one transaction, so one commit for all; per step (succeeded, its result
    or error).

    A refusal is that step's answer and the others go on. Anything else (a database
    error) undoes the batch: the conversations of its steps are read again (their
    verbs may have changed them in memory) and each step runs on its own, so one
    failure costs the others only time, as with messages (bot.chat.chat_messages_receive).
    """
    # The verification mails of the identifications stored: one task message, after the commit.
    with verification_mails_batched():
        if len(steps) > 1:
            try:
                with transaction.atomic():
                    return [_set_up_step_outcome(step, batched=True) for step in steps]
            except Exception:  # noqa: BLE001  (undone; each step again, on its own)
                for step in steps:
                    conversation = step.keywords.get("conversation")
                    if conversation is not None:
                        _set_up_state_reread(conversation)
        return [_set_up_step_outcome(step, batched=False) for step in steps]


def _set_up_state_reread(conversation: Conversation) -> None:
    try:
        conversation.refresh_from_db(
            from_queryset=Conversation.objects.select_related("consent", "subject")
        )
    except Conversation.DoesNotExist:  # erased meanwhile: its step says so on its own
        pass


def _set_up_step_outcome(step: functools.partial, *, batched: bool) -> tuple[bool, object]:
    try:
        return True, step()
    except SET_UP_REFUSALS as refusal:
        if batched and connection.needs_rollback:
            raise
        return False, refusal
    except Exception as error:
        if batched:
            raise
        return False, error


class DatabaseQueue:
    """The chat's one way to the database thread: work waiting together, time shared fairly.

    Django's ORM runs in one thread per process (channels' database_sync_to_async), so
    under load everything queues for it. Here it queues in two lines:

    - customer messages: all those waiting go in one hop, one transaction and one
      INSERT (bot.chat.chat_messages_receive), which drains the line several times
      faster than one by one;
    - everything else (hello, consent, identification, feedback …) in arrival order;
      set-up steps (`set_up`) waiting next to each other in one hop and one
      transaction (_set_up_steps_run), the rest one per hop.

    While both lines wait, they share the database thread's time, messages
    `messages_weight` (settings.CHAT_MESSAGES_WEIGHT) times as much: after each batch
    of messages, other operations run for that share of the batch's time (at least
    one). A customer in a conversation waits for each of several answers, a new visitor
    once for the set-up; so a wave of new visitors giving consent does not hold up the
    answers of those already asking, and a stream of answers slows new visitors, never
    starves them. An idle server runs each at once: nothing waits for a timer.
    """

    def __init__(
        self,
        *,
        max_batch: int,
        messages_weight: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if messages_weight <= 0:
            raise ValueError("messages_weight must be positive")
        self.max_batch, self.messages_weight, self.clock = max_batch, messages_weight, clock
        self.messages: deque[tuple[chat.IncomingMessage, asyncio.Future]] = deque()
        # (operation, whether it is a set-up step), its future.
        self.operations: deque[tuple[tuple[Callable[[], object], bool], asyncio.Future]] = deque()
        # Database time per set-up step in the last batch: how many fit a share.
        self.set_up_step_seconds: float | None = None
        # Kept: asyncio holds only a weak reference to a running task.
        self._drain_task: asyncio.Task | None = None

    async def receive(self, item: chat.IncomingMessage) -> tuple:
        """Store a customer's message; returns (message, outcome) or raises the refusal."""
        result = await self._enqueue(self.messages, item)
        if isinstance(result, Exception):
            raise result
        return result

    async def run(self, func: Callable, /, **kwargs):
        """func(**kwargs) in the database thread; returns its result or raises its error."""
        return await self._enqueue(self.operations, (functools.partial(func, **kwargs), False))

    async def set_up(self, func: Callable, /, **kwargs):
        """run() for a set-up step, batched with those waiting beside it (one hop, one
        commit). func must keep its writes in its own transaction (a verb's) and refuse
        with SET_UP_REFUSALS only; its `conversation` is read again if the batch fails."""
        return await self._enqueue(self.operations, (functools.partial(func, **kwargs), True))

    def _enqueue(self, line: deque, entry) -> asyncio.Future:
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        line.append((entry, future))
        if self._drain_task is None or self._drain_task.done():
            self._drain_task = loop.create_task(self._drain())
        return future

    async def _drain(self) -> None:
        while self.messages or self.operations:
            started = self.clock()
            if self.messages:
                await self._store_messages()
            share = (self.clock() - started) / self.messages_weight
            started = self.clock()
            while self.operations:
                await self._run_operation(seconds_left=share - (self.clock() - started))
                if self.clock() - started >= share:
                    break

    async def _store_messages(self) -> None:
        batch = [self.messages.popleft() for _ in range(min(self.max_batch, len(self.messages)))]
        try:
            results = await database_sync_to_async(_messages_receive)(
                [item for item, _future in batch]
            )
        except Exception as error:  # noqa: BLE001  (each sender gets it)
            results = [error] * len(batch)
        for (_item, future), result in zip(batch, results, strict=True):
            if not future.done():  # its connection may have gone meanwhile
                future.set_result(result)

    async def _run_operation(self, *, seconds_left: float) -> None:
        (operation, batched), future = self.operations[0]
        if batched:
            return await self._run_set_up_steps(seconds_left=seconds_left)
        self.operations.popleft()
        try:
            result = await database_sync_to_async(operation)()
        except Exception as error:  # noqa: BLE001  (raised in its caller)
            if not future.done():
                future.set_exception(error)
            return
        if not future.done():
            future.set_result(result)

    async def _run_set_up_steps(self, *, seconds_left: float) -> None:
        """The set-up steps at the head of the line, in one hop: up to max_batch, and
        while messages wait, as many as fit the time left of their share (by the last
        batch's time per step; one to learn it), so a batch keeps the weighting."""
        limit = self.max_batch
        if self.messages:
            per_step = self.set_up_step_seconds
            limit = 1 if per_step is None else max(1, min(limit, int(seconds_left / per_step)))
        batch = []
        while self.operations and self.operations[0][0][1] and len(batch) < limit:
            (step, _batched), future = self.operations.popleft()
            batch.append((step, future))
        started = self.clock()
        try:
            outcomes = await database_sync_to_async(_set_up_steps_run)([s for s, _f in batch])
        except Exception as error:  # noqa: BLE001  (each caller gets it)
            outcomes = [(False, error)] * len(batch)
        self.set_up_step_seconds = (self.clock() - started) / len(batch)
        for (_step, future), (succeeded, result) in zip(batch, outcomes, strict=True):
            if future.done():  # its connection may have gone meanwhile
                continue
            if succeeded:
                future.set_result(result)
            else:
                future.set_exception(result)


# One per event loop (daphne runs one; tests run one per test).
_database_queues: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def database_queue() -> DatabaseQueue:
    loop = asyncio.get_running_loop()
    if loop not in _database_queues:
        _database_queues[loop] = DatabaseQueue(
            max_batch=settings.CHAT_GROUP_COMMIT_MAX, messages_weight=settings.CHAT_MESSAGES_WEIGHT
        )
    return _database_queues[loop]


def _is_list_of_str(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def _consent_frame(conversation: Conversation) -> dict:
    policy = policy_version_active(language=conversation.language)
    return {
        "required": not chat.conversation_consent_current(conversation),
        "policy_version": policy.version if policy else None,
        "policy_url": f"/privacy/policy/{policy.language}/" if policy else None,
        "title": policy.title if policy else None,
        "summary": policy.summary if policy else None,
        # What "I agree" covers, and what the customer may add by ticking it (unticked).
        "purposes": [chat.CONSENT_PURPOSE_REQUIRED],
        "optional_purposes": list(chat.CONSENT_PURPOSES_OPTIONAL),
        # What the current consent covers: the chat shows the optional ones as boxes the
        # customer can untick (or tick) at any time.
        "granted_purposes": (
            sorted(conversation.consent.purposes)
            if chat.conversation_consent_current(conversation)
            else []
        ),
        "anonymous_available": conversation_setup.anonymous_mode_after_decline(),
    }


def _status_notice(conversation: Conversation) -> dict:
    """While waiting, the line under the input, worded like the hand-over message, and
    the offer to leave an e-mail address for the team's answer."""
    if conversation.status != Conversation.Status.WAITING:
        return _follow_up_offer(conversation)
    return {
        "notice": waiting_notice(chat.dialog_state(conversation)),
        **_follow_up_offer(conversation),
    }


def _follow_up_offer(conversation: Conversation) -> dict:
    """{"follow_up": {"available", "left", "call_back_url"?}} while a web chat waits for
    the team's answer (waiting or assigned), else nothing. The one follow-up: its answer by
    e-mail is asked in the chat ("available") only where the e-mail channel can send it
    (bot.hooks); its call back is on the follow-up form ("call_back_url"), which needs no
    mailbox, while that form can be used. Neither once an address was left ("left")."""
    if conversation.channel != Conversation.Channel.WEB or conversation.status not in (
        Conversation.Status.WAITING,
        Conversation.Status.ASSIGNED,
    ):
        return {}
    channel = hooks.follow_up_channel()
    left = channel is not None and channel.left(conversation)
    available = not left and channel is not None and channel.available(conversation)
    offer = {"available": available, "left": left}
    call_back_url = None if left else follow_ups.follow_up_form_link(conversation=conversation)
    if call_back_url:
        offer["call_back_url"] = call_back_url
    return {"follow_up": offer}


def _follow_up_leave(*, conversation: Conversation, address: str) -> tuple[Conversation, dict]:
    if not chat.conversation_consent_current(conversation):
        raise chat.ChatError("consent required", code="consent_required")
    channel = hooks.follow_up_channel()
    if channel is None:
        raise chat.ChatError("follow-up not available", code="follow_up_unavailable")
    channel.leave(conversation=conversation, address=address)
    return _reload_with_status(conversation)


def _state_frame(conversation: Conversation) -> dict:
    return {
        **_status_notice(conversation),
        "status": conversation.status,
        "consent": _consent_frame(conversation),
        "identify": {
            "required": chat.conversation_needs_identity(conversation),
            "fields": chat.identity_fields_required(),
        },
    }


def _conversation_open(*, token: str | None, language: str, after_seq: int):
    # Loaded with its consent and subject (the state frame and every message read them).
    conversation = conversation_get_by_resume_token(token=token) if token else None
    resumed = conversation is not None
    if conversation is None:
        conversation, token = conversation_start(
            channel=Conversation.Channel.WEB, language=language
        )
    history = []
    if chat.conversation_consent_current(conversation):
        history = [
            events.message_frame(m)
            for m in message_list_since(conversation=conversation, after_seq=after_seq)
        ]
    return conversation, token, resumed, history, _state_frame(conversation)


def _then_state(verb, **kwargs) -> tuple[Conversation, dict]:
    """Run a chat verb, then describe the conversation's state: one thread hop.

    The verbs keep the conversation they are given up to date (its consent, subject).
    """
    verb(**kwargs)
    conversation = kwargs["conversation"]
    return conversation, _state_frame(conversation)


def _then_state_and_greeting(verb, **kwargs) -> tuple[Conversation, dict, Reply | None]:
    """_then_state, and the bot's greeting if the customer may now write: one thread hop
    for a set-up step (consent, identification) and what follows it."""
    conversation, state = _then_state(verb, **kwargs)
    return conversation, state, chat.chat_greet(conversation=conversation)


def _unstored_message_frame(reply: Reply) -> dict:
    """A bot reply that is not stored (anonymous mode, the greeting): no seq."""
    frame = {
        "type": "message",
        "seq": None,
        "from": reply.sender,
        "text": reply.text,
        "suggestions": list(reply.suggestions),
    }
    if reply.sender == "bot":
        frame["html"] = answer_html(reply.text)
    return frame


def _reload(conversation: Conversation) -> Conversation:
    return Conversation.objects.select_related("consent", "subject").get(pk=conversation.pk)


def _reload_with_status(conversation: Conversation) -> tuple[Conversation, dict]:
    conversation = _reload(conversation)
    return conversation, {
        "type": "status",
        "status": conversation.status,
        **_status_notice(conversation),
    }


class ChatConsumer(JsonConsumer):
    error_details = ERROR_DETAILS
    conversation: Conversation | None = None
    language = "de"
    # Declined consent where the operator allows anonymous questions: answers only,
    # nothing about the exchange is stored (bot.conversation_setup decides both).
    anonymous = False
    # When this socket last told bot.customer_presence the customer is still here.
    presence_refreshed_at = 0.0

    async def connect(self) -> None:
        self.bucket = TokenBucket(
            rate=settings.CHAT_RATE_PER_SECOND, burst=settings.CHAT_RATE_BURST
        )
        await self.accept()

    async def disconnect(self, code: int) -> None:
        if self.conversation is not None:
            await self.channel_layer.group_discard(self._group(), self.channel_name)
            await customer_presence.customer_connection_close(self.conversation.public_id.hex)

    def _group(self) -> str:
        return events.customer_group(self.conversation.public_id.hex)

    # Incoming frames ---------------------------------------------------------------------

    async def receive(self, text_data=None, bytes_data=None, **kwargs) -> None:
        if text_data is None:
            return await self.send_error("text_frames_only")
        if len(text_data.encode("utf-8")) > MAX_FRAME_BYTES:
            return await self.send_error("frame_too_large")
        if not self.bucket.take():
            return await self.send_error("rate_limited")
        # Bounded: depth, integer size, storable text (platform_core.consumers.frame_decode).
        content = await self.frame_decode_or_answer(text_data)
        if content is REFUSED:
            return
        if not isinstance(content, dict) or not isinstance(content.get("type"), str):
            return await self.send_error("invalid_frame")
        await self._presence_refresh()
        await self.receive_json(content)

    async def _presence_refresh(self) -> None:
        """The customer is still here (bot.customer_presence), said at most once a minute."""
        now = time.monotonic()
        if self.conversation is None or now - self.presence_refreshed_at < (
            customer_presence.REFRESH_SECONDS
        ):
            return
        self.presence_refreshed_at = now
        await customer_presence.customer_connection_refresh(self.conversation.public_id.hex)

    async def receive_json(self, content: dict, **kwargs) -> None:
        frame_type = content["type"]
        if frame_type == "hello":
            return await self.handle_hello(content)
        if self.conversation is None:
            return await self.send_error("hello_required")
        handler = {
            "consent": self.handle_consent,
            "identify": self.handle_identify,
            "message": self.handle_message,
            "feedback": self.handle_feedback,
            "escalate": self.handle_escalate,
            "withdraw_consent": self.handle_withdraw_consent,
            "consent_purpose": self.handle_consent_purpose,
            "typing": self.handle_typing,
            "rating": self.handle_rating,
            "follow_up": self.handle_follow_up,
        }.get(frame_type)
        if handler is None:
            return await self.send_error("unknown_type")
        try:
            await handler(content)
        except (chat.ChatError, ConsentError, hooks.FollowUpRefused) as error:
            # Refused before anything was stored (the verb's transaction rolled back).
            client_id = content.get("id")
            extra = {"id": client_id} if isinstance(client_id, str) else {}
            await self.send_error(error.code, **extra)

    async def handle_hello(self, content: dict) -> None:
        language = content.get("lang")
        self.language = language if language in SUPPORTED_LANGUAGES else self.language
        token = content.get("conversation")
        after_seq = content.get("since", 0)
        if (
            (token is not None and not isinstance(token, str))
            or not isinstance(after_seq, int)
            or isinstance(after_seq, bool)
        ):
            return await self.send_error("missing_field")
        if self.conversation is not None:
            await self.channel_layer.group_discard(self._group(), self.channel_name)
            await customer_presence.customer_connection_close(self.conversation.public_id.hex)
        self.conversation, token, resumed, history, state = await database_queue().set_up(
            _conversation_open, token=token, language=self.language, after_seq=max(after_seq, 0)
        )
        if content.get("conversation") and not resumed:
            # Unknown, foreign or closed: say so, then start afresh (nothing is revealed).
            await self.send_error("conversation_not_found")
        self.language = self.conversation.language
        await self.channel_layer.group_add(self._group(), self.channel_name)
        await customer_presence.customer_connection_open(self.conversation.public_id.hex)
        self.presence_refreshed_at = time.monotonic()
        await self.send_json(
            {
                "type": "welcome",
                "version": PROTOCOL_VERSION,
                "conversation": token,
                "resumed": resumed,
                # Before any answer, in the customer's language (AI Act Art. 50(1)).
                "disclosure": ai_disclosure(language=self.language),
                **state,
                "history": history,
            }
        )

    async def handle_consent(self, content: dict) -> None:
        self.anonymous = False
        accept = content.get("accept")
        if not isinstance(accept, bool):
            return await self.send_error("missing_field")
        if not accept:
            self.anonymous = conversation_setup.anonymous_mode_after_decline()
            await self.send_json(
                {
                    "type": "consent.declined",
                    "anonymous_available": self.anonymous,
                    "detail": await self._translated(
                        _(
                            "You declined. We have stored nothing about you. You can still ask "
                            "the bot questions anonymously; nothing you write is stored, and "
                            "no person can take over."
                        )
                        if self.anonymous
                        else _(
                            "You declined. We have stored nothing about you. Without consent "
                            "the chat cannot be used; you can reach us by phone or post."
                        )
                    ),
                }
            )
            return
        version = content.get("policy_version")
        # The purposes ticked; none (an older client): the support chat only.
        purposes = content.get("purposes", [])
        if not isinstance(version, str) or not _is_list_of_str(purposes):
            return await self.send_error("missing_field")
        ip_address = self.scope.get("client", [None])[0]
        self.conversation, state, greeting = await database_queue().set_up(
            _then_state_and_greeting,
            verb=conversation_setup.consent_give,
            conversation=self.conversation,
            policy_version=version,
            purposes=purposes,
            ip_address=ip_address,
        )
        await self.send_json({"type": "consent.accepted", **state})
        await self._greet(greeting)

    async def handle_identify(self, content: dict) -> None:
        identity = {k: v for k, v in content.items() if k != "type"}
        try:
            self.conversation, state, greeting = await database_queue().set_up(
                _then_state_and_greeting,
                verb=chat.chat_identify,
                conversation=self.conversation,
                identity=identity,
            )
        except chat.ChatError:
            raise
        except ValidationError as error:  # the identity fields themselves
            fields = {
                field: [str(m) for m in messages]
                for field, messages in getattr(error, "message_dict", {}).items()
            }
            return await self.send_error("invalid_identity", fields=fields)
        await self.send_json({"type": "identified", **state})
        await self._greet(greeting)

    async def _greet(self, greeting: Reply | None) -> None:
        """Once the customer may write: the bot says what it can help with."""
        if greeting is not None:
            await self.send_json(_unstored_message_frame(greeting))

    async def handle_message(self, content: dict) -> None:
        client_id, text = content.get("id"), content.get("text")
        if not isinstance(client_id, str) or not client_id or len(client_id) > CLIENT_ID_MAX_LENGTH:
            return await self.send_error("missing_field")
        if not isinstance(text, str):
            return await self.send_error("missing_field", id=client_id)
        if not text.strip():
            return await self.send_error("empty_text", id=client_id)
        if len(text) > settings.CHAT_MESSAGE_MAX_LENGTH:
            return await self.send_error("text_too_long", id=client_id)
        if self.conversation.status == Conversation.Status.CLOSED:
            return await self.send_error("conversation_closed", id=client_id)
        if self.anonymous:
            return await self._answer_anonymously(client_id, text)
        message, outcome = await database_queue().receive(
            chat.IncomingMessage(
                conversation=self.conversation, client_message_id=client_id, text=text
            )
        )
        # Stored (and committed) before this acknowledgement goes out.
        await self.send_json({"type": "ack", "id": client_id, "seq": message.seq})
        # The agents watching a conversation the team has see the message from the outbox
        # (bot.chat, the same for every channel).
        await self._send_outcome(outcome)

    async def _answer_anonymously(self, client_id: str, text: str) -> None:
        reply = await database_queue().run(
            conversation_setup.anonymous_question_answer, language=self.language, text=text
        )
        await self.send_json({"type": "ack", "id": client_id, "seq": None, "stored": False})
        await self.send_json(_unstored_message_frame(reply))

    async def handle_feedback(self, content: dict) -> None:
        seq, helpful = content.get("seq"), content.get("helpful")
        if not isinstance(seq, int) or isinstance(seq, bool) or not isinstance(helpful, bool):
            return await self.send_error("missing_field")
        outcome = await database_queue().run(
            chat.chat_feedback, conversation=self.conversation, seq=seq, helpful=helpful
        )
        await self.send_json({"type": "feedback.recorded", "seq": seq})
        await self._send_outcome(outcome)

    async def handle_escalate(self, content: dict) -> None:
        outcome = await database_queue().run(chat.chat_escalate, conversation=self.conversation)
        await self._send_outcome(outcome)

    async def handle_withdraw_consent(self, content: dict) -> None:
        self.conversation, state = await database_queue().run(
            _then_state, verb=chat.chat_consent_withdraw, conversation=self.conversation
        )
        await self.send_json(
            {
                "type": "consent.withdrawn",
                "detail": await self._translated(
                    _(
                        "Your consent is withdrawn: we collect nothing more in this chat. "
                        "What you already wrote is deleted when your case is closed; you can "
                        "also ask us to delete it now."
                    )
                ),
                **state,
            }
        )

    async def handle_consent_purpose(self, content: dict) -> None:
        """An optional purpose ticked or unticked after consenting; the rest stands."""
        purpose, granted = content.get("purpose"), content.get("granted")
        if not isinstance(purpose, str) or not isinstance(granted, bool):
            return await self.send_error("missing_field")
        verb = chat.chat_consent_purpose_add if granted else chat.chat_consent_purpose_withdraw
        self.conversation, state = await database_queue().run(
            _then_state, verb=verb, conversation=self.conversation, purpose=purpose
        )
        await self.send_json({"type": "consent.updated", **state})

    async def handle_rating(self, content: dict) -> None:
        score = content.get("score")
        if not isinstance(score, int) or isinstance(score, bool):
            return await self.send_error("missing_field")
        self.conversation = await database_queue().run(
            chat.conversation_rate, conversation=self.conversation, score=score
        )
        await self.send_json({"type": "rating.recorded", "score": score})

    async def handle_follow_up(self, content: dict) -> None:
        """The customer leaves an address for the team's answer, consenting in the same
        step (`consent: true`, asked separately from the chat's own consent)."""
        address, consent = content.get("email"), content.get("consent")
        if not isinstance(address, str) or not address.strip() or len(address) > 254:
            return await self.send_error("invalid_email")
        if consent is not True:
            return await self.send_error("follow_up_consent_required")
        self.conversation, frame = await database_queue().run(
            _follow_up_leave, conversation=self.conversation, address=address
        )
        await self.send_json({**frame, "type": "follow_up.recorded"})

    async def handle_typing(self, content: dict) -> None:
        # Goes to the agents watching this conversation (the inbox issue listens).
        await self.channel_layer.group_send(
            events.conversation_group(self.conversation.public_id.hex),
            {"type": "conversation.typing", "from": "customer"},
        )

    # Outgoing --------------------------------------------------------------------------

    async def _send_outcome(self, outcome: chat.ChatOutcome) -> None:
        for reply in outcome.replies:
            await self.send_json(events.message_frame(reply))
        if outcome.escalated:
            self.conversation, frame = await database_queue().run(
                _reload_with_status, conversation=self.conversation
            )
            await self.send_json(frame)

    async def chat_message(self, event: dict) -> None:
        """An agent's reply (or another event) pushed to this customer's socket."""
        await self.send_json(event["frame"])

    async def _translated(self, text) -> str:
        with translation.override(self.language):
            return str(text)

    async def send_error(self, code: str, **extra) -> None:
        with translation.override(self.language):
            detail = str(ERROR_DETAILS.get(code, ERROR_DETAILS["invalid_frame"]))
        await self.send_json({"type": "error", "code": code, "detail": detail, **extra})
