import django.db.models.deletion
import django.utils.timezone
import privacy.validators
from django.db import migrations, models

# The full-text index is the database's own (helpcentre.text_search must match it):
# SQLite, an FTS5 table over helpcentre_searchdocument kept in step by triggers;
# PostgreSQL, a generated tsvector column (not on the model: Django never writes it)
# with a GIN index.
SQLITE_FTS = [
    "CREATE VIRTUAL TABLE helpcentre_search_fts USING fts5(title, content, "
    "content='helpcentre_searchdocument', content_rowid='id', "
    "tokenize='porter unicode61 remove_diacritics 2')",
    "CREATE TRIGGER helpcentre_search_fts_insert AFTER INSERT ON helpcentre_searchdocument "
    "BEGIN INSERT INTO helpcentre_search_fts(rowid, title, content) "
    "VALUES (new.id, new.title, new.content); END",
    "CREATE TRIGGER helpcentre_search_fts_delete AFTER DELETE ON helpcentre_searchdocument "
    "BEGIN INSERT INTO helpcentre_search_fts(helpcentre_search_fts, rowid, title, content) "
    "VALUES ('delete', old.id, old.title, old.content); END",
    "CREATE TRIGGER helpcentre_search_fts_update AFTER UPDATE ON helpcentre_searchdocument "
    "BEGIN INSERT INTO helpcentre_search_fts(helpcentre_search_fts, rowid, title, content) "
    "VALUES ('delete', old.id, old.title, old.content); "
    "INSERT INTO helpcentre_search_fts(rowid, title, content) "
    "VALUES (new.id, new.title, new.content); END",
]
SQLITE_FTS_DROP = [
    "DROP TRIGGER IF EXISTS helpcentre_search_fts_insert",
    "DROP TRIGGER IF EXISTS helpcentre_search_fts_delete",
    "DROP TRIGGER IF EXISTS helpcentre_search_fts_update",
    "DROP TABLE IF EXISTS helpcentre_search_fts",
]
POSTGRES_CONFIGS = {"de": "german", "en": "english"}
# A stored, generated tsvector (the ranking reads it instead of parsing every match again),
# with the dictionary of the document's language, and a GIN index on it.
_POSTGRES_VECTOR = (
    "CASE language "
    + " ".join(
        f"WHEN '{language}' THEN to_tsvector('{config}'::regconfig, title || ' ' || content)"
        for language, config in POSTGRES_CONFIGS.items()
    )
    + " ELSE to_tsvector('simple'::regconfig, title || ' ' || content) END"
)
POSTGRES_FTS = [
    "ALTER TABLE helpcentre_searchdocument ADD COLUMN search_vector tsvector "
    f"GENERATED ALWAYS AS ({_POSTGRES_VECTOR}) STORED",
    "CREATE INDEX helpcentre_search_vector ON helpcentre_searchdocument "
    "USING gin (search_vector)",
]
POSTGRES_FTS_DROP = [
    "DROP INDEX IF EXISTS helpcentre_search_vector",
    "ALTER TABLE helpcentre_searchdocument DROP COLUMN IF EXISTS search_vector",
]


def _run_for_vendor(statements: dict[str, list[str]]):
    def run(apps, schema_editor):
        for statement in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


# The record of processing activities (Art. 30) gets the help centre and the contact form,
# as privacy's migration 0007 seeded the chat's; the operator completes them in the admin,
# and the generated privacy notice lists them. The classifier that picks the answers is the
# chatbot's, recorded as its own AI-system activity ("Chatbot answers (AI system)").
ACTIVITIES = [
    {
        "name": "Help centre",
        "purpose": "Letting customers search and read the knowledge base on the website "
        "(the chatbot's classifier ranks the answers), and learning which questions it "
        "does not answer.",
        "legal_basis": "legitimate_interests",
        "data_categories": "Search words, kept only when nothing fitted and only after "
        "personal data has been removed automatically; helpfulness votes as daily counts "
        "without who voted. No cookie, nothing stored on the device.",
        "subject_categories": "Visitors of the help centre.",
        "recipients": "None.",
        "retention": None,
        "technical_measures": "Automatic redaction before a search is kept; counts "
        "instead of records; no cookie or device storage (TDDDG Section 25).",
    },
    {
        "name": "Contact form",
        "purpose": "Answering customers' written requests; suggesting matching answers "
        "while they type (the typed text is not stored for that).",
        "legal_basis": "consent",
        "data_categories": "Name, email address (as configured), subject and message.",
        "subject_categories": "Customers and prospective customers who use the contact form.",
        "recipients": "Support agents of the operator.",
        "retention": "conversations_resolved",
        "technical_measures": "Encryption at rest (Fernet) with a redacted copy for "
        "analytics, consent recorded with the policy version, rate limits.",
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

    initial = True

    dependencies = [
        ("privacy", "0015_redaction_allowed_word"),
        ("bot", "0010_conversation_channel_form"),
    ]

    operations = [
        migrations.CreateModel(
            name='SearchMiss',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('language', models.CharField(max_length=8, verbose_name='language')),
                ('text_redacted', models.CharField(max_length=200, verbose_name='search without personal data')),
                ('created_at', models.DateTimeField(db_index=True, default=django.utils.timezone.now, verbose_name='searched at')),
            ],
            options={
                'verbose_name': 'search without a good hit',
                'verbose_name_plural': 'searches without a good hit',
                'ordering': ['-created_at'],
            },
        ),
        migrations.CreateModel(
            name='Category',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('language', models.CharField(max_length=8, verbose_name='language')),
                ('title', models.CharField(max_length=100, validators=[privacy.validators.title_validator], verbose_name='title')),
                ('position', models.PositiveSmallIntegerField(default=0, verbose_name='position')),
            ],
            options={
                'verbose_name': 'help-centre category',
                'verbose_name_plural': 'help-centre categories',
                'ordering': ['language', 'position', 'title'],
                'constraints': [models.UniqueConstraint(fields=('language', 'title'), name='help_category_unique_title_per_language')],
            },
        ),
        migrations.CreateModel(
            name='Article',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('body', models.TextField(blank=True, help_text='Shown below the answer in the help centre; paragraphs by blank lines.', verbose_name='longer text')),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name='changed at')),
                ('answer', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='help_article', to='bot.intentanswer', verbose_name='answer')),
                ('category', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='articles', to='helpcentre.category', verbose_name='category')),
            ],
            options={
                'verbose_name': 'help-centre article',
                'verbose_name_plural': 'help-centre articles',
                'ordering': ['answer'],
            },
        ),
        migrations.CreateModel(
            name='ContactFormDailyCount',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('day', models.DateField(verbose_name='day')),
                ('language', models.CharField(max_length=8, verbose_name='language')),
                ('sent', models.PositiveIntegerField(default=0, verbose_name='sent')),
                ('sent_after_suggestions', models.PositiveIntegerField(default=0, verbose_name='sent after suggestions')),
            ],
            options={
                'verbose_name': 'contact-form count',
                'verbose_name_plural': 'contact-form counts',
                'constraints': [models.UniqueConstraint(fields=('day', 'language'), name='contact_form_count_unique_per_day'), models.CheckConstraint(condition=models.Q(('sent_after_suggestions__lte', models.F('sent'))), name='contact_form_count_after_suggestions_within_sent')],
            },
        ),
        migrations.CreateModel(
            name='ContactFormSubmission',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('suggestions_shown', models.BooleanField(default=False, verbose_name='answers were suggested first')),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, editable=False, verbose_name='sent at')),
                ('conversation', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='contact_form', to='bot.conversation')),
            ],
            options={
                'verbose_name': 'contact-form submission',
                'verbose_name_plural': 'contact-form submissions',
            },
        ),
        migrations.CreateModel(
            name='SearchDocument',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('language', models.CharField(db_index=True, max_length=8)),
                ('title', models.CharField(max_length=200)),
                ('content', models.TextField()),
                ('digest', models.CharField(max_length=64)),
                ('answer', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='bot.intentanswer')),
            ],
            options={
                'verbose_name': 'search document',
                'verbose_name_plural': 'search documents',
            },
        ),
        migrations.CreateModel(
            name='ArticleDailyCount',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('day', models.DateField(verbose_name='day')),
                ('helpful', models.PositiveIntegerField(default=0, verbose_name='helpful')),
                ('unhelpful', models.PositiveIntegerField(default=0, verbose_name='not helpful')),
                ('deflections', models.PositiveIntegerField(default=0, verbose_name='answered before sending')),
                ('answer', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='help_daily_counts', to='bot.intentanswer')),
            ],
            options={
                'verbose_name': 'article count',
                'verbose_name_plural': 'article counts',
                'constraints': [models.UniqueConstraint(fields=('answer', 'day'), name='article_count_unique_per_day')],
            },
        ),
        migrations.RunPython(
            _run_for_vendor({"sqlite": SQLITE_FTS, "postgresql": POSTGRES_FTS}),
            _run_for_vendor({"sqlite": SQLITE_FTS_DROP, "postgresql": POSTGRES_FTS_DROP}),
        ),
        migrations.RunPython(create_activities, migrations.RunPython.noop),
    ]
