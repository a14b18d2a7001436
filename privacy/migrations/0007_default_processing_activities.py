from django.db import migrations

# The operator reviews and completes these in the admin; the privacy notice and
# the dashboard are built from them.
ACTIVITIES = [
    {
        "name": "Support chat",
        "purpose": "Answering customers' requests in the website chat and on messengers.",
        "legal_basis": "consent",
        "data_categories": "Name, email address (as configured), conversation content.",
        "subject_categories": "Customers and prospective customers who use the chat.",
        "recipients": "Support agents of the operator.",
        "retention": "conversations_resolved",
        "technical_measures": "Encryption at rest (Fernet), keyed blind index for look-ups, "
        "TLS in transit, role-based access, audit log of every staff read.",
    },
    {
        "name": "Bot learning",
        "purpose": "Improving the chatbot with conversation content from which personal data "
        "has been removed.",
        "legal_basis": "consent",
        "data_categories": "Redacted customer questions (no personal data).",
        "subject_categories": "Customers who consented to bot improvement.",
        "recipients": "None.",
        "retention": None,
        "technical_measures": "Automatic redaction before any text enters a training set; "
        "objection (Art. 21) honoured.",
    },
    {
        "name": "Agent inbox",
        "purpose": "Handing escalated conversations to human agents.",
        "legal_basis": "consent",
        "data_categories": "Identity as configured, conversation content, internal notes.",
        "subject_categories": "Customers whose conversation was escalated.",
        "recipients": "Support agents of the operator's queues.",
        "retention": "conversations_resolved",
        "technical_measures": "Queue-based access, masked email until revealed (audited).",
    },
    {
        "name": "Messenger channels",
        "purpose": "Receiving and answering customer messages on Telegram, WhatsApp and "
        "Facebook Messenger.",
        "legal_basis": "consent",
        "data_categories": "Platform user id, phone number or profile name, message content.",
        "subject_categories": "Customers who write to the operator on a messenger.",
        "recipients": "The messenger platform (processor or joint controller).",
        "retention": "conversations_resolved",
        "technical_measures": "Signed webhooks, encrypted platform identifiers.",
    },
]


def create_activities(apps, schema_editor):
    ProcessingActivity = apps.get_model("privacy", "ProcessingActivity")
    RetentionPolicy = apps.get_model("privacy", "RetentionPolicy")
    for activity in ACTIVITIES:
        values = dict(activity)
        retention = values.pop("retention")
        values["retention_policy"] = (
            RetentionPolicy.objects.filter(category=retention).first() if retention else None
        )
        ProcessingActivity.objects.get_or_create(name=values.pop("name"), defaults=values)


class Migration(migrations.Migration):
    dependencies = [("privacy", "0006_agreements_activities")]

    operations = [migrations.RunPython(create_activities, migrations.RunPython.noop)]
