"""Listeners other apps register for bot events (agents routes escalations to its queues).

bot must not import agents (agents -> bot -> privacy), so agents registers its
functions here in its AppConfig.ready(), as every app registers its personal-data
provider with privacy. Listeners take ids, run after the transaction commits.
"""

from collections.abc import Callable

EscalationListener = Callable[[int], None]

_escalation_listeners: list[EscalationListener] = []


def escalation_listener_register(listener: EscalationListener) -> None:
    if listener not in _escalation_listeners:
        _escalation_listeners.append(listener)


def escalation_listeners() -> list[EscalationListener]:
    return list(_escalation_listeners)
