"""The models moved to platform_core and event_pipeline (issue 21): state only."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("platform_core", "0001_initial"),
        ("event_pipeline", "0001_initial"),
        ("supportdesk", "0006_outbox"),
    ]

    operations = [
        # The tables stay where they are (db_table): only Django's view of them moves.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name="apikey",
                    name="user",
                ),
                migrations.DeleteModel(
                    name="JobHeartbeat",
                ),
                migrations.DeleteModel(
                    name="OutboxEvent",
                ),
                migrations.RemoveField(
                    model_name="webhookdelivery",
                    name="subscription",
                ),
                migrations.RemoveField(
                    model_name="webhooksubscription",
                    name="processor",
                ),
                migrations.DeleteModel(
                    name="ApiKey",
                ),
                migrations.DeleteModel(
                    name="WebhookDelivery",
                ),
                migrations.DeleteModel(
                    name="WebhookSubscription",
                ),
            ],
            database_operations=[],
        ),
    ]
