"""The models moved here from the `supportdesk` app (issue 21): state only, no data moved."""

import django.db.models.deletion
import django.utils.timezone
import privacy.fields
import uuid
from django.db import migrations, models

MODELS = ('outboxevent', 'webhooksubscription', 'webhookdelivery')


def _relabel(apps, old: str, new: str) -> None:
    """Permissions and admin log entries point at content types: relabelled, they follow
    the models (permissions granted to a group stay granted)."""
    content_type = apps.get_model("contenttypes", "ContentType")
    taken = set(
        content_type.objects.filter(app_label=new, model__in=MODELS).values_list("model", flat=True)
    )
    content_type.objects.filter(app_label=old, model__in=set(MODELS) - taken).update(app_label=new)


def content_types_follow(apps, schema_editor) -> None:
    _relabel(apps, "supportdesk", "event_pipeline")


def content_types_return(apps, schema_editor) -> None:
    _relabel(apps, "event_pipeline", "supportdesk")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('supportdesk', '0006_outbox'),
        ('privacy', '0017_data_request_source'),
    ]

    operations = [
        # The tables stay where they are (db_table): only Django's view of them moves.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='OutboxEvent',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('kind', models.CharField(max_length=50, verbose_name='kind')),
                        ('actions', privacy.fields.EncryptedJSONField(verbose_name='actions')),
                        ('reference', models.UUIDField(blank=True, db_index=True, null=True, verbose_name='about')),
                        ('created_at', models.DateTimeField(db_index=True, default=django.utils.timezone.now, editable=False)),
                        ('claimed_until', models.DateTimeField(blank=True, null=True)),
                    ],
                    options={
                        'verbose_name': 'outbox event',
                        'verbose_name_plural': 'outbox events',
                        'db_table': 'supportdesk_outboxevent',
                    },
                ),
                migrations.CreateModel(
                    name='WebhookSubscription',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('name', models.CharField(max_length=100, verbose_name='name')),
                        ('url', models.URLField(max_length=500, verbose_name='URL')),
                        ('events', models.JSONField(default=list, verbose_name='events')),
                        ('secret', privacy.fields.EncryptedCharField(editable=False, verbose_name='signing secret')),
                        ('include_personal_data', models.BooleanField(default=False, verbose_name='include personal data')),
                        ('is_active', models.BooleanField(default=True, verbose_name='active')),
                        ('consecutive_failures', models.PositiveIntegerField(default=0, editable=False)),
                        ('disabled_reason', models.CharField(blank=True, editable=False, max_length=200)),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now, editable=False)),
                        ('processor', models.ForeignKey(blank=True, help_text="Required for personal data: the receiver's processing agreement.", null=True, on_delete=django.db.models.deletion.PROTECT, to='privacy.processor', verbose_name='receiver (processor)')),
                    ],
                    options={
                        'verbose_name': 'webhook',
                        'verbose_name_plural': 'webhooks',
                        'db_table': 'supportdesk_webhooksubscription',
                        'ordering': ['name'],
                    },
                ),
                migrations.CreateModel(
                    name='WebhookDelivery',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('event', models.CharField(max_length=50, verbose_name='event')),
                        ('event_id', models.UUIDField(default=uuid.uuid4, editable=False, verbose_name='event id')),
                        ('payload', privacy.fields.EncryptedJSONField(verbose_name='payload')),
                        ('subject_public_id', models.UUIDField(blank=True, db_index=True, null=True, verbose_name='data subject')),
                        ('reference', models.UUIDField(blank=True, db_index=True, null=True, verbose_name='about')),
                        ('status', models.CharField(choices=[('pending', 'Pending'), ('delivered', 'Delivered'), ('failed', 'Failed')], default='pending', max_length=20, verbose_name='status')),
                        ('attempts', models.PositiveIntegerField(default=0, verbose_name='attempts')),
                        ('last_status_code', models.PositiveIntegerField(blank=True, null=True)),
                        ('last_error', models.CharField(blank=True, max_length=300)),
                        ('created_at', models.DateTimeField(db_index=True, default=django.utils.timezone.now, editable=False)),
                        ('delivered_at', models.DateTimeField(blank=True, null=True)),
                        ('next_attempt_at', models.DateTimeField(blank=True, default=django.utils.timezone.now, null=True)),
                        ('subscription', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='deliveries', to='event_pipeline.webhooksubscription')),
                    ],
                    options={
                        'verbose_name': 'webhook delivery',
                        'verbose_name_plural': 'webhook deliveries',
                        'db_table': 'supportdesk_webhookdelivery',
                        'ordering': ['-created_at'],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(content_types_follow, content_types_return),
    ]
