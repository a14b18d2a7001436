"""Start-up refuses what cannot work, with a sentence: unreachable services, '*' hosts."""

import os
import subprocess
import sys
import time

import pytest

from supportdesk.checks import check_allowed_hosts_not_wildcard
from supportdesk.settings import base
from tests.supportdesk.test_settings import PRODUCTION_ENVIRONMENT, _run_manage

# Nothing listens on port 1: refused at once, as a wrong host or port would be.
UNREACHABLE_REDIS = "redis://127.0.0.1:1/0"
UNREACHABLE_DATABASE = "postgres://postgres@127.0.0.1:1/supportdesk"


def _run_python(code: str, environment: dict[str, str]) -> subprocess.CompletedProcess:
    env = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", "/tmp"),
        "PYTHONPATH": str(base.BASE_DIR),
        **environment,
    }
    return subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )


def test_production_refuses_a_wildcard_in_the_allowed_hosts():
    result = _run_manage(
        "check",
        environment={**PRODUCTION_ENVIRONMENT, "DJANGO_ALLOWED_HOSTS": "support.example.com,*"},
    )

    assert result.returncode != 0
    assert "refuses to start" in result.stderr and 'contains "*"' in result.stderr


def test_the_deploy_check_refuses_a_wildcard_host_in_any_settings(settings):
    settings.ALLOWED_HOSTS = ["*"]

    assert [error.id for error in check_allowed_hosts_not_wildcard()] == ["supportdesk.E003"]


def test_the_deploy_check_names_a_redis_that_cannot_be_reached():
    started = time.monotonic()

    result = _run_manage(
        "check", "--deploy", environment={**PRODUCTION_ENVIRONMENT, "REDIS_URL": UNREACHABLE_REDIS}
    )

    assert result.returncode != 0
    assert "supportdesk.E002" in result.stderr and "Redis" in result.stderr
    assert "127.0.0.1:1" in result.stderr
    assert time.monotonic() - started < 60


def test_the_deploy_check_names_a_database_that_cannot_be_reached():
    result = _run_manage(
        "check",
        "--deploy",
        environment={**PRODUCTION_ENVIRONMENT, "DATABASE_URL": UNREACHABLE_DATABASE},
    )

    assert result.returncode != 0
    assert "supportdesk.E001" in result.stderr and "database" in result.stderr


@pytest.mark.parametrize(
    ("variable", "value", "named"),
    [("REDIS_URL", UNREACHABLE_REDIS, "Redis"), ("DATABASE_URL", UNREACHABLE_DATABASE, "database")],
)
def test_daphne_refuses_to_start_when_a_service_cannot_be_reached(variable, value, named):
    # What daphne does first: import the ASGI application.
    result = _run_python("import supportdesk.asgi", {**PRODUCTION_ENVIRONMENT, variable: value})

    assert result.returncode != 0
    assert "Supportdesk refuses to start" in result.stderr and named in result.stderr


def test_a_celery_worker_refuses_to_start_when_the_database_cannot_be_reached(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "celery", "-A", "supportdesk", "worker", "--pool", "solo"],
        env={
            "PATH": os.environ["PATH"],
            "HOME": os.environ.get("HOME", "/tmp"),
            "PYTHONPATH": str(base.BASE_DIR),
            **PRODUCTION_ENVIRONMENT,
            "DATABASE_URL": UNREACHABLE_DATABASE,
            "CELERY_BROKER_URL": "filesystem://",
            "CELERY_DATA_DIR": str(tmp_path),
        },
        capture_output=True,
        text=True,
        timeout=120,
        cwd=str(tmp_path),
    )

    assert result.returncode != 0
    assert "Supportdesk refuses to start" in result.stderr + result.stdout
