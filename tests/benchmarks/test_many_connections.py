"""The many-connections benchmark at a tiny scale (its full size is 10,000 sockets): every
socket opens and stays open, the active ones are answered, memory per idle connection and
every step's percentiles are reported, and the checkout's var/ is the same afterwards."""

import json
import os

import pytest

from tests.benchmarks.checkout import script_run, var_snapshot

# Two daphne processes share a channel layer: PostgreSQL and Redis, the services suite.
pytestmark = pytest.mark.services


@pytest.mark.django_db
def test_many_connections_keeps_every_socket_and_answers_the_active_ones():
    before = var_snapshot()
    os.environ.setdefault(
        "SERVICES_DATABASE_URL",
        "postgres://postgres@127.0.0.1:5432/supportdesk_many_connections",
    )

    result = script_run(
        "benchmarks/many_connections.py",
        *("--connections", "40", "--active-share", "0.05", "--questions", "1", "--think", "0"),
        "--json",
        timeout=900,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["connections"] == 40 and report["processes"] == 2
    assert report["connect_errors"] == report["closed_by_server"] == 0
    assert report["active_customers"] == 2 and report["active_errors"] == 0
    assert set(report["kib_per_idle_connection"]) == {"daphne-a", "daphne-b"}
    for step, figures in report["active_steps_ms"].items():
        assert figures["n"] >= 2, step
        assert 0 < figures["p50"] <= figures["p95"] <= figures["p99"], step
    assert 0 < report["welcome_ms"]["p50"] <= report["welcome_ms"]["p99"]
    assert var_snapshot() == before
