"""daphne's websocket protocol (autobahn), without the work it does for debug lines."""

import pprint

from autobahn.websocket import protocol as autobahn_protocol


class _PrettyLater:
    """pprint.pformat(value), worked out only when a log line that holds it is written."""

    __slots__ = ("value",)

    def __init__(self, value: object) -> None:
        self.value = value

    def __str__(self) -> str:
        return pprint.pformat(self.value)

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)


def _timings_str(timings: autobahn_protocol.Timings) -> str:
    return pprint.pformat(timings._timings)


def autobahn_debug_formatting_deferred() -> None:
    """At every websocket connection autobahn pretty-prints its 29 options for a debug
    line (`self.log.debug("\\n{attrs}", attrs=pformat(...))`, formatted before the logger
    knows the line is dropped): 0.2 ms of CPU a connection, measured, a fifth of an echo
    socket's whole connect (issue 22). From now on the text is made only if the line is
    written. Timings.__str__, the module's other use, keeps returning the text itself.
    Can go when autobahn formats lazily."""
    autobahn_protocol.Timings.__str__ = _timings_str
    autobahn_protocol.pformat = _PrettyLater
