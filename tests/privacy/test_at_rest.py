"""No plaintext personal data at rest: checked on the stored bytes, not through the ORM."""

import re
import shutil
import subprocess

import pytest
from django.db import connection

from agents.demo import DEMO_SUBJECTS, demo_data_create
from privacy.fields import is_encrypted_field
from privacy.registry import models_with_encrypted_fields

pytestmark = pytest.mark.django_db


def _personal_values() -> list[str]:
    values = []
    for demo in DEMO_SUBJECTS:
        values += [demo["email"], demo["phone"], demo["phone"].replace(" ", "")]
        values += demo["name"].split()
    return values


def _leaked(text: str) -> list[str]:
    # Whole words only: a short name like "John" occurs by chance inside base64 ciphertext.
    return [
        value
        for value in _personal_values()
        if re.search(rf"(?<![\w\-]){re.escape(value)}(?![\w\-])", text, flags=re.IGNORECASE)
    ]


def _database_dump() -> str:
    """The whole database as the operator's backup tool would write it."""
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        return "\n".join(connection.connection.iterdump())
    if connection.vendor == "postgresql" and shutil.which("pg_dump"):
        db = connection.settings_dict
        result = subprocess.run(
            [
                "pg_dump",
                "--data-only",
                "-h",
                db["HOST"],
                "-p",
                str(db["PORT"] or 5432),
                "-U",
                db["USER"],
                db["NAME"],
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        return result.stdout
    raise AssertionError(f"no dump tool for {connection.vendor}")


def _all_rows_as_text() -> str:
    tables = connection.introspection.table_names()
    quote = connection.ops.quote_name
    chunks = []
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"SELECT * FROM {quote(table)}")  # noqa: S608
            chunks += [repr(row) for row in cursor.fetchall()]
    return "\n".join(chunks)


@pytest.fixture
def demo_data(transactional_db):
    demo_data_create()


@pytest.mark.django_db(transaction=True)
def test_a_database_dump_holds_no_demo_personal_data(demo_data):
    dump = _database_dump()

    assert "gAAAA" in dump  # the personal data is there, encrypted
    assert _leaked(dump) == []


@pytest.mark.django_db(transaction=True)
def test_no_stored_row_holds_demo_personal_data(demo_data):
    assert _leaked(_all_rows_as_text()) == []


@pytest.mark.django_db(transaction=True)
def test_every_encrypted_value_reads_back_as_plaintext(demo_data):
    # A wrong key would otherwise read as the ciphertext itself ("gAAAA…").
    checked = 0
    for model in models_with_encrypted_fields():
        encrypted = [f.attname for f in model._meta.concrete_fields if is_encrypted_field(f)]
        for row in model._default_manager.values_list(*encrypted):
            for value in row:
                checked += 1
                assert not str(value).startswith("gAAAA")
    assert checked > 0
