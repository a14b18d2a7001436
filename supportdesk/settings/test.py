"""`make test` and `make test-services`.

Uses whatever DATABASE_URL / REDIS_URL / CELERY_BROKER_URL the environment
gives (the services run), else the embedded default. Keys are fixed test keys
so a test can re-key on purpose; they protect nothing.
"""

import os
from pathlib import Path

from .base import *  # noqa: F403
from .base import BASE_DIR, CELERY_BROKER_URL, DATABASES, celery_transport_options, env

# One id per test run, inherited by the processes a test starts (daphne, Celery),
# so they find the same test database and broker folder.
_RUN_ID = os.environ.setdefault("SUPPORTDESK_TEST_RUN_ID", str(os.getpid()))
SERVE_STATIC = env.bool("SUPPORTDESK_SERVE_STATIC", default=False)

SECRET_KEY = "test-only-secret-key-not-for-production-000000000000000000000000"
# Two keys, so tests can exercise rotation: the first encrypts, both decrypt.
FIELD_ENCRYPTION_KEY = env.list(
    "TEST_FIELD_ENCRYPTION_KEY",
    default=[
        "wkFzslyFTxp_iRd1EBNzzM1vvuwrMyzmVjacZLdBjl0=",
    ],
)
BLIND_INDEX_KEY = "test-only-blind-index-key"
DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not :memory:, so a real Celery worker process started by a test
    # sees the same test database. One file per xdist worker/process.
    DATABASES["default"]["TEST"] = {
        "NAME": str(BASE_DIR / "var" / f"test-{_RUN_ID}.sqlite3"),
    }

# A worker process started by a test is handed the parent's folder.
CELERY_DATA_DIR = Path(
    env.str("CELERY_DATA_DIR", default=str(BASE_DIR / "var" / f"celery-test-{_RUN_ID}"))
)
CELERY_BROKER_TRANSPORT_OPTIONS = celery_transport_options(CELERY_BROKER_URL, CELERY_DATA_DIR)
CELERY_BEAT_SCHEDULE_FILENAME = str(CELERY_DATA_DIR / "beat-schedule")

# Throttling is tested on purpose where it matters, not tripped by accident.
REST_FRAMEWORK = {**REST_FRAMEWORK}  # noqa: F405
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = {"anon": "10000/min", "user": "10000/min"}

# Consumers reach the database from worker threads; persistent connections
# there would keep the test database busy at teardown.
DATABASES["default"]["CONN_MAX_AGE"] = 0

# Agents always available, so tests do not depend on the time of day; the
# opening-hours tests set their own.
SUPPORT_OPENING_HOURS = ""
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
MEDIA_ROOT = BASE_DIR / "var" / f"media-test-{_RUN_ID}"
ERASURE_LEDGER_PATH = str(BASE_DIR / "var" / f"erasure-ledger-test-{_RUN_ID}.jsonl")

# pytest-django owns database access (asgi is imported at collection); the start-up
# check is tested by calling it (tests/supportdesk/test_startup_checks.py).
STARTUP_SERVICE_CHECKS = env.bool("SUPPORTDESK_STARTUP_SERVICE_CHECKS", default=False)
OUTBOX_DRAIN_AT_START = env.bool("OUTBOX_DRAIN_AT_START", default=False)
BOT_MODELS_LOAD_AT_START = env.bool("BOT_MODELS_LOAD_AT_START", default=False)
# A test that activates a model answers from it at once (tests/bot/test_model_integrity.py
# tests the loader thread with it on).
BOT_MODELS_LOAD_IN_BACKGROUND = env.bool("BOT_MODELS_LOAD_IN_BACKGROUND", default=False)
