"""The open-loop chat benchmark at a tiny scale: its report has every figure the README
describes, and the checkout's var/ is the same afterwards (it serves from a folder of its
own: a copy of the one the chat benchmarks share, migrated with the demo models trained,
see conftest.py)."""

import json

import pytest

from tests.benchmarks.checkout import script_run, var_snapshot

# The script runs on its own embedded database whatever the suite: once is enough.
pytestmark = pytest.mark.embedded_only

STEPS = {"connect", "hello", "consent", "identify", "answer", "first_answer"}


@pytest.mark.django_db
def test_chat_open_loop_reports_every_step_against_the_echo_and_leaves_var_untouched(
    prepared_chat_workdir, tmp_path
):
    before = var_snapshot()

    # One arrival rate, a few conversations of two questions; the verbose breakdown too.
    result = script_run(
        "benchmarks/chat_open_loop.py",
        *("--workdir", str(prepared_chat_workdir.copy(tmp_path / "workdir"))),
        *("--start-rate", "1", "--max-rate", "1", "--level-seconds", "2", "--bisections", "0"),
        *("--questions", "2", "--think", "0.1", "--p95-limit-ms", "60000"),
        *("--verbose", "--profile-sessions", "1", "--json"),
        timeout=900,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    for kind in ("echo", "chat"):
        (level,) = report[kind]["levels"]
        assert level["rate"] == 1.0
        assert level["sessions"] == level["completed"] >= 1
        assert level["lost"] == level["duplicated"] == level["errors"] == 0
        assert set(level["steps"]) == STEPS
        for percentiles in level["steps"].values():
            assert 0 < percentiles["p50_ms"] <= percentiles["p95_ms"] <= percentiles["p99_ms"]
        assert level["sustained"]
        # Where the machine's CPU went in the level: the server and this client did work.
        split = level["cpu_seconds"]
        assert set(split) == {"server", "client", "database", "redis", "balancer", "other", "idle"}
        assert split["server"] > 0 and split["client"] > 0 and split["idle"] >= 0
        assert split["database"] == split["redis"] == split["balancer"] == 0  # SQLite, 1 process
        assert report[kind]["highest_sustained_rate"] == 1.0
        assert report[kind]["capped"]  # 1/s was also --max-rate
    assert report["rate_ratio"] == 1.0
    at_rate = report["at_chat_rate"]
    assert at_rate["ratios"]["answer"]["p95_ms"] == pytest.approx(
        at_rate["chat"]["steps"]["answer"]["p95_ms"] / at_rate["echo"]["steps"]["answer"]["p95_ms"]
    )
    # Where the server's time goes: the chat's steps touch the database, the echo none.
    breakdown = report["breakdown"]
    assert set(breakdown) == STEPS - {"connect", "first_answer"}
    assert breakdown["answer"]["statements"] > 0
    assert breakdown["answer"]["trips"] == breakdown["consent"]["trips"] == 1
    assert "where the server's time goes" in result.stdout
    assert "chat / echo sustained rate: x1.00" in result.stdout
    assert "where the machine's CPU went" in result.stdout
    assert var_snapshot() == before
