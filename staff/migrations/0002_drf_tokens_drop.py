"""DRF's tokens are no credential any more (API keys are): their table, which held each
token in plain text, goes with them. Nothing to restore on the way back."""

from django.db import migrations

TABLE = "authtoken_token"


def drf_tokens_drop(apps, schema_editor):
    connection = schema_editor.connection
    if TABLE in connection.introspection.table_names():
        schema_editor.execute(f"DROP TABLE {schema_editor.quote_name(TABLE)}")


class Migration(migrations.Migration):
    dependencies = [("staff", "0001_initial")]

    operations = [migrations.RunPython(drf_tokens_drop, migrations.RunPython.noop)]
