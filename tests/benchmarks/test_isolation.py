"""Benchmarks never touch an installation: the checkout's var/ is the same after each.

`chat_load.py` once ran `demo_setup --force` with the checkout's MEDIA_ROOT and replaced
the installation's active model files (issue 27). Each script runs here for real, in a
tiny configuration, and var/ (less this test run's own folders) must be byte-for-byte
the same afterwards: no file added, removed or changed.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from benchmarks.isolation import WRITABLE_SETTINGS, isolated_environment
from tests.bot.test_learning import QUESTIONS

ROOT = Path(settings.BASE_DIR)
VAR = ROOT / "var"


def _own_paths() -> list[Path]:
    """This test run's own files in var/ (test database, media, Celery folder)."""
    database = Path(connection.settings_dict["NAME"])
    return [
        Path(settings.MEDIA_ROOT),
        Path(settings.CELERY_DATA_DIR),
        *(
            database.with_name(database.name + suffix)
            for suffix in ("", "-wal", "-shm", "-journal")
        ),
    ]


def _snapshot() -> dict[str, tuple]:
    own = [path.resolve() for path in _own_paths()]
    found: dict[str, tuple] = {}
    if not VAR.exists():
        return found
    for folder, folders, files in os.walk(VAR):
        here = Path(folder).resolve()
        if any(here == path or path in here.parents for path in own):
            folders[:] = []
            continue
        found[str(here)] = ("folder",)
        for name in files:
            path = here / name
            if path in own:
                continue
            stat = path.stat()
            found[str(path)] = (stat.st_size, stat.st_mtime_ns)
    return found


def _run(*arguments: str, timeout: int) -> subprocess.CompletedProcess:
    environment = {**os.environ}
    # The checkout's own settings, as an operator would run the script; no test overrides.
    for name in ("DJANGO_SETTINGS_MODULE", *WRITABLE_SETTINGS):
        environment.pop(name, None)
    return subprocess.run(
        [sys.executable, *arguments],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_the_isolated_environment_points_every_writable_folder_away_from_the_checkout(tmp_path):
    environment = isolated_environment(tmp_path, base={"MEDIA_ROOT": str(VAR / "media")})

    for name in WRITABLE_SETTINGS:
        assert Path(environment[name]).is_relative_to(tmp_path), name
    assert environment["DATABASE_URL"] == f"sqlite:///{tmp_path / 'bench.sqlite3'}"


@pytest.mark.django_db
def test_chat_load_leaves_var_untouched():
    before = _snapshot()

    # It migrates, runs demo_setup --force (which trains the demo models), serves, chats.
    result = _run("benchmarks/chat_load.py", "--connections", "2", "--questions", "1", timeout=900)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "lost 0" in result.stdout
    assert _snapshot() == before


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
    before = _snapshot()

    result = _run(
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
    assert _snapshot() == before


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
    before = _snapshot()

    result = _run(
        "benchmarks/bot_eval_clinc.py",
        "--data",
        str(tmp_path),
        "--no-baseline",
        "--json",
        timeout=600,
    )

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["ours"]["train_examples"] == len(rows)
    assert _snapshot() == before
