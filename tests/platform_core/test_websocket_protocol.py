"""autobahn's per-connection debug text is made only when its line is written (issue 22)."""

import pprint

import pytest
import txaio

txaio.use_twisted()

from autobahn.twisted.websocket import WebSocketServerFactory  # noqa: E402
from autobahn.websocket import protocol as autobahn_protocol  # noqa: E402
from twisted.internet.testing import StringTransport  # noqa: E402

from platform_core.websocket_protocol import autobahn_debug_formatting_deferred  # noqa: E402


@pytest.fixture
def pformat_calls(monkeypatch):
    monkeypatch.setattr(autobahn_protocol.Timings, "__str__", autobahn_protocol.Timings.__str__)
    calls = []
    real = pprint.pformat

    def counted(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    # Where autobahn formats (its own name for it) and where the text is made later.
    monkeypatch.setattr(autobahn_protocol, "pformat", counted)
    monkeypatch.setattr(pprint, "pformat", counted)
    autobahn_debug_formatting_deferred()
    return calls


def test_a_connection_pretty_prints_nothing_while_debug_lines_are_off(pformat_calls):
    protocol = WebSocketServerFactory().buildProtocol(None)
    protocol.transport = StringTransport()
    protocol.log = txaio.make_logger()  # at daphne's level: debug lines dropped
    autobahn_protocol.WebSocketProtocol._connectionMade(protocol)
    try:
        assert protocol.state == autobahn_protocol.WebSocketProtocol.STATE_CONNECTING
        assert pformat_calls == []
    finally:
        for call in (protocol.openHandshakeTimeoutCall, protocol.autoPingPendingCall):
            if call is not None:
                call.cancel()


def test_a_written_debug_line_still_holds_the_pretty_printed_text(pformat_calls):
    options = [("openHandshakeTimeout", 5, "Factory"), ("autoPingInterval", 0, "Factory")]

    assert pformat_calls == []
    text = "\n{attrs}".format(attrs=autobahn_protocol.pformat(options))  # noqa: UP032  (as txaio)

    assert len(pformat_calls) == 1
    assert text == "\n" + pprint.pformat(options)
    assert str(autobahn_protocol.pformat(options)) == pprint.pformat(options)


def test_timings_print_as_before(pformat_calls):
    timings = autobahn_protocol.Timings()
    timings.track("onOpen")
    assert isinstance(str(timings), str) and "onOpen" in str(timings)
