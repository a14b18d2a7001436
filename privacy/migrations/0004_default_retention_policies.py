from django.db import migrations

# Starting points an operator reviews in the admin (README, "Retention").
DEFAULTS = {
    "conversations_resolved": 30,
    "sessions_abandoned": 2,
    "subjects_idle": 30,
    # Proof of consent and the audit trail: the regular limitation period (§ 195 BGB).
    "consent_records": 3 * 365,
    "audit_events": 3 * 365,
    "exports": 7,
}


def create_defaults(apps, schema_editor):
    RetentionPolicy = apps.get_model("privacy", "RetentionPolicy")
    for category, days in DEFAULTS.items():
        RetentionPolicy.objects.get_or_create(category=category, defaults={"duration_days": days})


class Migration(migrations.Migration):
    dependencies = [("privacy", "0003_retention_legal_hold")]

    operations = [migrations.RunPython(create_defaults, migrations.RunPython.noop)]
