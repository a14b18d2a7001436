"""Recovery codes are kept as keyed digests (staff.services.recovery_code_digest): the
plain codes stored before are replaced by theirs."""

import re

from django.db import migrations

DIGEST = re.compile(r"^[0-9a-f]{16}$")


def recovery_codes_hash(apps, schema_editor):
    from staff.services import recovery_code_digest

    StaticToken = apps.get_model("otp_static", "StaticToken")
    for token in StaticToken.objects.all().iterator():
        if not DIGEST.match(token.token):
            token.token = recovery_code_digest(token.token)
            token.save(update_fields=["token"])


class Migration(migrations.Migration):
    dependencies = [
        ("staff", "0003_totp_keys_encrypted"),
        ("otp_static", "0003_add_timestamps"),
    ]

    operations = [migrations.RunPython(recovery_codes_hash, migrations.RunPython.noop)]
