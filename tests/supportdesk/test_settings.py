import json
import os
import subprocess
import sys

import pytest
from cryptography.fernet import Fernet
from django.conf import settings
from django.core.management import call_command

from supportdesk.settings import base

MANAGE = [sys.executable, str(base.BASE_DIR / "manage.py")]
PRODUCTION_ENVIRONMENT = {
    "DJANGO_SETTINGS_MODULE": "supportdesk.settings.production",
    "DJANGO_SECRET_KEY": "p" * 20 + "a-long-random-production-secret-key-0123456789",
    "FIELD_ENCRYPTION_KEY": f"{Fernet.generate_key().decode()},{Fernet.generate_key().decode()}",
    "BLIND_INDEX_KEY": "production-blind-index-key",
    "DJANGO_ALLOWED_HOSTS": "support.example.com",
    "DATABASE_URL": "sqlite:////tmp/supportdesk-deploy-check.sqlite3",
    "EMAIL_URL": "smtp+tls://mailer:secret@mail.example.com:587",
}


def _run_manage(*args: str, environment: dict[str, str]) -> subprocess.CompletedProcess:
    # A clean environment (no .env values leaking in): only PATH and what the test gives.
    env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp"), **environment}
    return subprocess.run(
        [*MANAGE, *args], env=env, capture_output=True, text=True, timeout=120, cwd="/tmp"
    )


def test_production_settings_pass_the_deploy_check():
    result = _run_manage(
        "check", "--deploy", "--fail-level", "WARNING", environment=PRODUCTION_ENVIRONMENT
    )

    assert result.returncode == 0, result.stderr + result.stdout


@pytest.mark.parametrize(
    "missing", ["DJANGO_SECRET_KEY", "FIELD_ENCRYPTION_KEY", "BLIND_INDEX_KEY"]
)
def test_production_refuses_to_start_without_a_key(missing):
    environment = {k: v for k, v in PRODUCTION_ENVIRONMENT.items() if k != missing}

    result = _run_manage("check", environment=environment)

    assert result.returncode != 0
    assert "refuses to start" in result.stderr and missing in result.stderr


def test_the_api_requires_authentication_by_default():
    assert settings.REST_FRAMEWORK["DEFAULT_PERMISSION_CLASSES"][0] == (
        "rest_framework.permissions.IsAuthenticated"
    )


def test_the_encryption_keys_are_a_list():
    assert isinstance(settings.FIELD_ENCRYPTION_KEY, list)


@pytest.mark.django_db
def test_the_openapi_schema_validates_without_warnings(tmp_path):
    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yml")
    )

    assert "/api/v1/me/" in (tmp_path / "schema.yml").read_text()


@pytest.mark.django_db
def test_the_api_docs_are_served_without_a_cdn(client, django_user_model):
    client.force_login(django_user_model.objects.create_user("reader"))

    page = client.get("/api/docs/").text

    assert "cdn" not in page.lower() and "/static/drf_spectacular_sidecar/" in page


@pytest.mark.django_db
def test_sqlite_runs_in_wal_mode():
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0] == "wal"


def _base_settings_printed(script: str, environment: dict[str, str]) -> str:
    """What `script` prints after importing the base settings in a fresh process:
    settings read the environment when imported (no .env read)."""
    env = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", "/tmp"),
        "DJANGO_READ_DOT_ENV_FILE": "false",
        **environment,
    }
    result = subprocess.run(
        [sys.executable, "-c", f"from supportdesk.settings import base; {script}"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=base.BASE_DIR,
        check=True,
    )
    return result.stdout


def _database_settings(environment: dict[str, str]) -> dict:
    script = (
        "import json; d = base.DATABASES['default'];"
        " print(json.dumps({k: d.get(k) for k in ('ENGINE', 'OPTIONS', 'CONN_HEALTH_CHECKS')}))"
    )
    database_url = {"DATABASE_URL": "postgres://supportdesk@db.example.com:5432/supportdesk"}
    return json.loads(_base_settings_printed(script, {**database_url, **environment}))


def test_postgresql_binds_server_side_and_prepares_repeated_statements_by_default():
    database = _database_settings({})

    assert database["OPTIONS"]["server_side_binding"] is True
    assert database["OPTIONS"]["prepare_threshold"] == 5
    assert database["CONN_HEALTH_CHECKS"] is True
    # Django's backend, with the health check skipped right after a commit.
    assert database["ENGINE"] == "platform_core.postgresql"


def test_postgresql_connection_options_come_from_the_environment():
    database = _database_settings(
        {
            "DATABASE_SERVER_SIDE_BINDING": "false",
            "DATABASE_PREPARE_THRESHOLD": "",
            "DATABASE_CONN_HEALTH_CHECKS": "false",
        }
    )

    assert database["OPTIONS"]["server_side_binding"] is False
    assert database["OPTIONS"]["prepare_threshold"] is None
    assert database["CONN_HEALTH_CHECKS"] is False


def test_a_prepare_threshold_that_is_not_a_number_stops_the_start_with_a_clear_error():
    with pytest.raises(subprocess.CalledProcessError) as raised:
        _database_settings({"DATABASE_PREPARE_THRESHOLD": "often"})

    assert "DATABASE_PREPARE_THRESHOLD is 'often'" in raised.value.stderr


def _chat_messages_weight(environment: dict) -> float:
    return float(_base_settings_printed("print(base.CHAT_MESSAGES_WEIGHT)", environment))


def test_the_messages_weight_of_the_chat_database_queue_comes_from_the_environment():
    assert _chat_messages_weight({}) == 1.0
    assert _chat_messages_weight({"CHAT_MESSAGES_WEIGHT": "2"}) == 2.0


@pytest.mark.parametrize("weight", ["0", "-1"])
def test_a_messages_weight_that_is_not_positive_stops_the_start_with_a_clear_error(weight):
    with pytest.raises(subprocess.CalledProcessError) as raised:
        _chat_messages_weight({"CHAT_MESSAGES_WEIGHT": weight})

    assert f"CHAT_MESSAGES_WEIGHT is {float(weight)}" in raised.value.stderr
