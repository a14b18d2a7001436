from django.db import migrations

# Its own migration (its own transaction): on PostgreSQL, updating rows in the migration
# that altered the table leaves trigger events pending, and the deferred CREATE INDEX of
# that migration then fails.


def payloads_encrypt(apps, schema_editor):
    """Deliveries stored before this migration hold their payload in plain JSON text."""
    from encrypted_model_fields.fields import encrypt_str

    connection = schema_editor.connection
    table = connection.ops.quote_name("supportdesk_webhookdelivery")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, payload FROM {table}")  # noqa: S608
        rows = cursor.fetchall()
        for pk, payload in rows:
            if payload is None or payload.startswith("gAAAA"):
                continue  # already a Fernet token
            cursor.execute(
                f"UPDATE {table} SET payload = %s WHERE id = %s",  # noqa: S608
                [encrypt_str(payload).decode("utf-8"), pk],
            )


class Migration(migrations.Migration):
    dependencies = [("supportdesk", "0003_webhook_delivery_encrypted_references")]

    operations = [migrations.RunPython(payloads_encrypt, migrations.RunPython.noop)]
