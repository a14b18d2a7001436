"""The record of processing activities (Art. 30) gets the e-mail channel's two activities,
as privacy's migration 0007 seeded the chat's: e-mail support under Art. 6(1)(b) (the
customer's own request), and answers by e-mail after a chat or the contact form under
consent. Listed in the record and the generated notice only while a mailbox is active
(email_channel.apps registers the condition); the texts are repeated for translation in
privacy.activity_texts. The operator completes them in the admin."""

from django.db import migrations

ACTIVITIES = [
    {
        "name": "E-mail support",
        "purpose": "Answering requests customers send by e-mail (steps at their request "
        "before a contract, or performing it); the chatbot suggests answers to the team "
        "and, where switched on, answers questions it is sure of itself, saying so.",
        "legal_basis": "contract",
        "data_categories": "E-mail address and the name the mail client sends, the e-mails "
        "with their attachments, our answers and their delivery status.",
        "subject_categories": "Customers and prospective customers who write to us by e-mail.",
        "recipients": "Support agents of the operator.",
        "retention": "conversations_resolved",
        "technical_measures": "Encryption at rest (Fernet) of addresses, subjects, texts and "
        "files; keyed blind indexes for threading; attachments only through an audited, "
        "permission-checked download; automatic mail never answered; not used to teach "
        "the chatbot.",
        "is_ai_system": True,
    },
    {
        "name": "Answers by e-mail after a chat or the contact form",
        "purpose": "Sending the team's answer by e-mail to a customer who left an address "
        "while waiting in the chat, or who wrote through the contact form.",
        "legal_basis": "consent",
        "data_categories": "E-mail address, our answers and the customer's replies by e-mail.",
        "subject_categories": "Customers who left their e-mail address in the chat or used "
        "the contact form.",
        "recipients": "Support agents of the operator.",
        "retention": "conversations_resolved",
        "technical_measures": "Separate consent for the address in the chat; the address "
        "stored encrypted and deleted with the conversation.",
        "is_ai_system": False,
    },
]


def create_activities(apps, schema_editor):
    ProcessingActivity = apps.get_model("privacy", "ProcessingActivity")
    RetentionPolicy = apps.get_model("privacy", "RetentionPolicy")
    for activity in ACTIVITIES:
        values = dict(activity)
        retention = values.pop("retention")
        values["retention_policy"] = RetentionPolicy.objects.filter(category=retention).first()
        ProcessingActivity.objects.get_or_create(name=values.pop("name"), defaults=values)


class Migration(migrations.Migration):
    dependencies = [
        ("email_channel", "0002_mailbox_bot_auto_answer"),
        ("privacy", "0017_data_request_source"),
    ]

    operations = [migrations.RunPython(create_activities, migrations.RunPython.noop)]
