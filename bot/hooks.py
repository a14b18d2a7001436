"""Listeners other apps register for bot events (agents routes escalations to its queues).

bot must not import agents (agents -> bot -> privacy), so agents registers its
functions here in its AppConfig.ready(), as every app registers its personal-data
provider with privacy. Listeners take a conversation id and run after the
transaction commits.
"""

from collections.abc import Callable
from datetime import datetime

Listener = Callable[[int], None]

# A conversation was handed to the team (queued for a person).
ESCALATED = "escalated"
# A customer wrote in a conversation a person handles (not the bot).
CUSTOMER_WROTE = "customer_wrote"

_listeners: dict[str, list[Listener]] = {ESCALATED: [], CUSTOMER_WROTE: []}


def listener_register(event: str, listener: Listener) -> None:
    if listener not in _listeners[event]:
        _listeners[event].append(listener)


def listeners(event: str) -> list[Listener]:
    return list(_listeners[event])


# Whether a person is there right now for a language, beside the opening hours: agents
# register "someone serving it is online". Customers outside the hours are then told a
# person will answer instead of "back on Monday".
PresenceSource = Callable[[str], bool]
_presence_sources: list[PresenceSource] = []


def presence_source_register(source: PresenceSource) -> None:
    if source not in _presence_sources:
        _presence_sources.append(source)


def team_present(*, language: str) -> bool:
    return any(source(language) for source in _presence_sources)


# Questions the bot could not answer that reached it outside a conversation (the help
# centre's searches without a good hit): a source takes the period (start, end) and a
# maximum and returns (redacted text, language) pairs, newest first. The "questions
# the bot could not answer" topics cluster them with the escalated chat questions.
UnansweredSource = Callable[[datetime, datetime, int], list[tuple[str, str]]]
_unanswered_sources: list[UnansweredSource] = []


def unanswered_source_register(source: UnansweredSource) -> None:
    if source not in _unanswered_sources:
        _unanswered_sources.append(source)


def unanswered_sources() -> list[UnansweredSource]:
    return list(_unanswered_sources)
