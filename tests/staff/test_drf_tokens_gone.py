"""DRF's plain-text tokens: refused by the API (tests/agents/test_roles.py) and their
table dropped from databases that had one."""

import importlib

import pytest
from django.apps import apps
from django.db import connection

migration = importlib.import_module("staff.migrations.0002_drf_tokens_drop")


@pytest.mark.django_db(transaction=True)
def test_the_migration_drops_the_table_of_plain_text_tokens():
    # given a database from before, with a token stored in plain text
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY)")
        cursor.execute("INSERT INTO authtoken_token VALUES ('9944b09199c62bcf9418ad846dd0e')")

    # when the migration runs
    with connection.schema_editor() as schema_editor:
        migration.drf_tokens_drop(apps, schema_editor)

    # then the table and the token are gone; running it again is harmless
    assert "authtoken_token" not in connection.introspection.table_names()
    with connection.schema_editor() as schema_editor:
        migration.drf_tokens_drop(apps, schema_editor)
