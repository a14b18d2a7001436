"""The models moved here from the `supportdesk` app (issue 21): state only, no data moved."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

MODELS = ('apikey', 'jobheartbeat')


def _relabel(apps, old: str, new: str) -> None:
    """Permissions and admin log entries point at content types: relabelled, they follow
    the models (permissions granted to a group stay granted)."""
    content_type = apps.get_model("contenttypes", "ContentType")
    taken = set(
        content_type.objects.filter(app_label=new, model__in=MODELS).values_list("model", flat=True)
    )
    content_type.objects.filter(app_label=old, model__in=set(MODELS) - taken).update(app_label=new)


def content_types_follow(apps, schema_editor) -> None:
    _relabel(apps, "supportdesk", "platform_core")


def content_types_return(apps, schema_editor) -> None:
    _relabel(apps, "platform_core", "supportdesk")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('supportdesk', '0006_outbox'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # The tables stay where they are (db_table): only Django's view of them moves.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='JobHeartbeat',
                    fields=[
                        ('name', models.CharField(max_length=50, primary_key=True, serialize=False)),
                        ('first_seen_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('last_run_at', models.DateTimeField(blank=True, null=True)),
                    ],
                    options={
                        'verbose_name': 'job heartbeat',
                        'verbose_name_plural': 'job heartbeats',
                        'db_table': 'supportdesk_jobheartbeat',
                    },
                ),
                migrations.CreateModel(
                    name='ApiKey',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('name', models.CharField(max_length=100, verbose_name='name')),
                        ('prefix', models.CharField(editable=False, max_length=8, unique=True, verbose_name='prefix')),
                        ('key_hash', models.CharField(editable=False, max_length=64)),
                        ('scopes', models.JSONField(default=list, verbose_name='scopes')),
                        ('expires_at', models.DateTimeField(blank=True, null=True, verbose_name='expires at')),
                        ('last_used_at', models.DateTimeField(blank=True, editable=False, null=True, verbose_name='last used at')),
                        ('revoked_at', models.DateTimeField(blank=True, null=True, verbose_name='revoked at')),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now, editable=False, verbose_name='created at')),
                        ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='api_keys', to=settings.AUTH_USER_MODEL, verbose_name='acts as')),
                    ],
                    options={
                        'verbose_name': 'API key',
                        'verbose_name_plural': 'API keys',
                        'db_table': 'supportdesk_apikey',
                        'ordering': ['-created_at'],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(content_types_follow, content_types_return),
    ]
