"""The in-process step-cost benchmark at a tiny scale: every step (the connect and close
too) reported for chat and echo with exact trips and statements, and the checkout's var/
the same afterwards (it runs in a folder of its own: a copy of the one the chat benchmarks
share, migrated with the demo models trained, see conftest.py)."""

import json

import pytest

from tests.benchmarks.checkout import script_run, var_snapshot

# The script runs on its own embedded database whatever the suite: once is enough.
pytestmark = pytest.mark.embedded_only


@pytest.mark.django_db
def test_chat_step_cost_counts_each_step_against_the_echo_and_leaves_var_untouched(
    prepared_chat_workdir, tmp_path
):
    before = var_snapshot()

    result = script_run(
        "benchmarks/chat_step_cost.py",
        *("--workdir", str(prepared_chat_workdir.copy(tmp_path / "workdir"))),
        *("--sessions", "1", "--call-sessions", "1", "--warm-up", "1", "--questions", "2"),
        # Two customers at a time: each step's two frames go in one trip (batched).
        *("--together", "2", "--json", "--verbose"),
        timeout=900,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    for step in ("hello", "consent", "identify", "message"):
        chat, echo = report["chat"][step], report["echo"][step]
        # One trip to the database thread per step, shared by the two customers sending
        # it together (tests/bot/test_chat_statements.py pins the statements of one; here
        # the first session after warming up may recheck).
        assert chat["trips"] == 0.5 and chat["statements"] >= 1
        assert echo["trips"] == echo["statements"] == 0
        assert chat["python_calls"] > echo["python_calls"] > 0
        assert chat["cpu_ms"] > 0 and echo["cpu_ms"] > 0
        # PostgreSQL's CPU is measured with --services only.
        assert chat["database_cpu_ms"] == echo["database_cpu_ms"] == 0
    # The handshake through the whole websocket stack and the close: no database work for
    # a customer (the chat's route resolves no user), above the echo's own.
    for step in ("connect", "close"):
        chat, echo = report["chat"][step], report["echo"][step]
        assert chat["trips"] == chat["statements"] == echo["trips"] == echo["statements"] == 0
        assert chat["python_calls"] > 0 and echo["python_calls"] > 0
        assert chat["cpu_ms"] > 0 and echo["cpu_ms"] > 0
        assert f"  {step} " in result.stdout
    assert "Python calls chat / echo" in result.stdout
    assert "PostgreSQL CPU" not in result.stdout
    assert "2 customer(s) at a time" in result.stdout
    # --verbose: where each step's CPU goes, part by part.
    breakdown = report["breakdown"]
    assert "where the chat's CPU goes" in result.stdout
    for part in ("sentence encoder", "redaction", "SQL statements", "begin, commit"):
        assert breakdown["message"][part] > 0, part
    assert breakdown["identify"]["set-up verbs (consent, identify)"] > 0
    assert breakdown["hello"]["total"] > 0
    assert var_snapshot() == before
