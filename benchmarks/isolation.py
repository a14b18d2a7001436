"""Every benchmark runs in folders of its own, never in the checkout's installation.

A benchmark that starts a server, migrates or trains writes a database, model files
(MEDIA_ROOT), the Celery broker's folder and mails. With the checkout's defaults those
land in `var/`, beside a running installation's: `chat_load.py` once retrained the
demo models into `var/media/models/` and replaced the installation's active model files
(issue 27). So every benchmark takes its settings from `isolated_environment` or, if
it runs in-process, calls `isolate_this_process` before Django is set up.
"""

import base64
import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# The settings that name a folder or file the process writes to; all are set below.
WRITABLE_SETTINGS = (
    "MEDIA_ROOT",
    "STATIC_ROOT",
    "CELERY_DATA_DIR",
    "MAIL_FILE_PATH",
    "EMAIL_DEMO_MAILDIR",
)


def isolated_environment(workdir: Path, *, base: dict[str, str] | None = None) -> dict[str, str]:
    """Environment for a process that must write only under `workdir`: fresh keys, a
    SQLite database, model files, Celery broker and mails all in there."""
    workdir = Path(workdir)
    return {
        **(os.environ if base is None else base),
        "DJANGO_SETTINGS_MODULE": "supportdesk.settings.local",
        "DJANGO_READ_DOT_ENV_FILE": "false",
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "FIELD_ENCRYPTION_KEY": base64.urlsafe_b64encode(os.urandom(32)).decode(),
        "BLIND_INDEX_KEY": secrets.token_urlsafe(32),
        "DATABASE_URL": f"sqlite:///{workdir / 'bench.sqlite3'}",
        "MEDIA_ROOT": str(workdir / "media"),
        "STATIC_ROOT": str(workdir / "static"),
        "CELERY_DATA_DIR": str(workdir / "celery"),
        "MAIL_FILE_PATH": str(workdir / "mail"),
        "EMAIL_DEMO_MAILDIR": str(workdir / "maildir"),
        "LOG_LEVEL": "WARNING",
    }


def isolate_this_process(workdir: Path) -> None:
    """For a benchmark that runs in-process: point this process's writable folders at
    `workdir` (before Django is set up; harmless if it never is)."""
    environment = isolated_environment(workdir, base={})
    for name in WRITABLE_SETTINGS:
        os.environ[name] = environment[name]


def benchmark_database_prepare(environment: dict[str, str], *, services: bool) -> str:
    """A fresh, migrated database for a benchmark's `environment` (modified in place):
    with `services`, PostgreSQL from SERVICES_DATABASE_URL, dropped and created anew;
    else the isolated SQLite file. Returns the name to print."""
    if services:
        environment["DATABASE_URL"] = os.environ.get(
            "SERVICES_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/supportdesk_bench"
        )
        database = environment["DATABASE_URL"].rsplit("/", 1)[1]
        postgres = ["-h", "127.0.0.1", "-U", "postgres"]
        subprocess.run(["dropdb", *postgres, "--if-exists", database])
        subprocess.run(["createdb", *postgres, database], check=True)
    subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "migrate", "-v", "0"],
        env=environment,
        check=True,
        cwd=ROOT,
    )
    return "PostgreSQL" if services else "SQLite (embedded default)"
