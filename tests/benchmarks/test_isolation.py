"""Benchmarks never touch an installation: the checkout's var/ is the same after each.

`chat_load.py` once ran `demo_setup --force` with the checkout's MEDIA_ROOT and replaced
the installation's active model files (issue 27). Each script runs here for real, in a
tiny configuration, and var/ (less this test run's own folders) must be byte-for-byte
the same afterwards: no file added, removed or changed (test runs' own per-run files
there aside).
"""

import json
import os
from pathlib import Path

import pytest
from django.conf import settings

from benchmarks.isolation import WRITABLE_SETTINGS, isolated_environment
from tests.benchmarks.checkout import VAR, script_run, var_snapshot
from tests.bot.test_learning import QUESTIONS

# The scripts run on their own embedded database whatever the suite: once is enough.
pytestmark = pytest.mark.embedded_only


def test_the_isolated_environment_points_every_writable_folder_away_from_the_checkout(tmp_path):
    environment = isolated_environment(tmp_path, base={"MEDIA_ROOT": str(VAR / "media")})

    for name in WRITABLE_SETTINGS:
        assert Path(environment[name]).is_relative_to(tmp_path), name
    assert environment["DATABASE_URL"] == f"sqlite:///{tmp_path / 'bench.sqlite3'}"


@pytest.mark.django_db
def test_chat_load_leaves_var_untouched(prepared_chat_workdir, tmp_path):
    # Its preparation (migrate, demo_setup --force, which trains the demo models) ran once
    # for the chat benchmarks (conftest.py), as a run of it would in its own folder.
    assert prepared_chat_workdir.var_after == prepared_chat_workdir.var_before
    before = var_snapshot()

    # It serves, chats (and with --split more rounds, telling a message's CPU from a
    # session's), on a copy of that folder.
    result = script_run(
        "benchmarks/chat_load.py",
        *("--workdir", str(prepared_chat_workdir.copy(tmp_path / "workdir"))),
        "--connections",
        "2",
        "--questions",
        "1",
        "--split",
        "--json",
        timeout=900,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "lost 0" in result.stdout
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    # Two customers: CPU ticks (10 ms) make the figures coarse, so only their presence.
    assert {"server_cpu_ms_a_message", "server_cpu_ms_a_session", "server_cpu_s_warm_up"} <= (
        figures["chat"].keys()
    )
    # The client's CPU beside the server's (they share the cores), the set-up storm until
    # the last customer was identified, and the echo's connect to third reply as its floor.
    assert {"client_cpu_ms_a_connection", "all_identified_s", "all_identified_server_cpu_s"} <= (
        figures["chat"].keys()
    )
    assert {"client_cpu_ms_a_connection", "ready_p95_ms"} <= figures["echo"].keys()
    assert (
        figures["ready_ratio"] == figures["chat"]["ready_p95_ms"] / figures["echo"]["ready_p95_ms"]
    )
    assert var_snapshot() == before


@pytest.mark.django_db
def test_email_fetch_leaves_var_untouched():
    before = var_snapshot()

    result = script_run("benchmarks/email_fetch.py", "--mails", "8", timeout=300)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 conversations for 2 threads" in result.stdout
    assert var_snapshot() == before


@pytest.mark.django_db
def test_bot_eval_demo_leaves_var_untouched(tmp_path):
    knowledge_base = {
        "version": 1,
        "intents": [
            {"slug": slug, "examples": {"de": questions, "en": questions}}
            for slug, questions in QUESTIONS.items()
        ],
    }
    (tmp_path / "kb.json").write_text(json.dumps(knowledge_base), encoding="utf-8")
    (tmp_path / "questions.jsonl").write_text(
        "\n".join(
            json.dumps({"language": language, "text": questions[0], "intent": slug})
            for slug, questions in QUESTIONS.items()
            for language in ("de", "en")
        ),
        encoding="utf-8",
    )
    before = var_snapshot()

    result = script_run(
        "benchmarks/bot_eval_demo.py",
        "--knowledge-base",
        str(tmp_path / "kb.json"),
        "--questions",
        str(tmp_path / "questions.jsonl"),
        "--json",
        timeout=600,
    )

    assert result.returncode == 0, result.stderr
    assert set(json.loads(result.stdout)) == {"de", "en"}
    assert var_snapshot() == before


@pytest.mark.django_db
def test_bot_eval_clinc_leaves_var_untouched(tmp_path):
    rows = [
        {"text": text, "intent": slug}
        for slug, questions in QUESTIONS.items()
        for text in questions
    ]
    (tmp_path / "clinc150_train.jsonl").write_text(
        "\n".join(json.dumps(row) for row in rows), encoding="utf-8"
    )
    (tmp_path / "clinc150_val.jsonl").write_text(
        "\n".join(json.dumps(row) for row in [*rows[::4], {"text": "Wetter?", "intent": "oos"}]),
        encoding="utf-8",
    )
    before = var_snapshot()

    result = script_run(
        "benchmarks/bot_eval_clinc.py",
        "--data",
        str(tmp_path),
        "--no-baseline",
        "--json",
        timeout=600,
    )

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["ours"]["train_examples"] == len(rows)
    assert var_snapshot() == before


def test_tests_and_the_processes_they_start_use_folders_of_their_own():
    from tests.processes import process_environment

    run = os.environ["SUPPORTDESK_TEST_RUN_ID"]
    assert Path(settings.MEDIA_ROOT) == VAR / f"media-test-{run}"
    assert Path(settings.CELERY_DATA_DIR) != VAR / "celery"  # the installation's broker
    # a daphne or Celery process a test starts resolves the same per-run folders
    assert process_environment()["SUPPORTDESK_TEST_RUN_ID"] == run
