"""The knowledge base: intents with their answers and example questions, written here;
imported and exported as JSON (the format below) and CSV."""

import csv
import io
import json
import re
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch

from bot.models import (
    ExampleQuestion,
    Intent,
    IntentAnswer,
    intent_action_check,
)
from bot.selectors import example_questions_learnable
from platform_core.storable_text import INVALID_TEXT_CODE, values_are_storable
from privacy.validators import slug_validator, title_validator

# The JSON format of bot/fixtures/demo_knowledge_base.json:
# {"version": 1, "intents": [{"slug", "topic", "name": {lang: title},
#   "answers": {lang: text}, "examples": {lang: [question, ...]}}]}
KNOWLEDGE_BASE_FORMAT_VERSION = 1
DEMO_KNOWLEDGE_BASE = Path(__file__).resolve().parent / "fixtures" / "demo_knowledge_base.json"


@transaction.atomic
def knowledge_base_import(*, data: dict) -> dict[str, int]:
    """Create or update intents, answers and examples; existing extra examples stay.

    Running it twice with the same data changes nothing the second time.
    """
    if not values_are_storable(data):
        raise ValidationError(
            "The knowledge base contains text that cannot be stored (NUL characters or "
            "lone surrogates).",
            code=INVALID_TEXT_CODE,
        )
    if data.get("version") != KNOWLEDGE_BASE_FORMAT_VERSION:
        raise ValidationError(f"Unsupported knowledge-base format version {data.get('version')!r}.")
    counts = {"intents": 0, "answers": 0, "examples": 0}
    intents = data.get("intents")
    if not isinstance(intents, list):
        raise ValidationError('"intents" must be a list.')
    # Every entry is checked before anything is written: the gates on titles and slugs then
    # judge each against the same knowledge base (not the entries written before it), and
    # the shop's words redaction knows (read again after each save) are read once.
    for position, entry in enumerate(intents):
        _knowledge_base_entry_check(entry, position)
    for entry in intents:
        slug = entry["slug"]
        intent, created = Intent.objects.update_or_create(
            slug=slug,
            # An entry without an action (an older file, the CSV) keeps the intent's.
            defaults={"topic": entry.get("topic", "")}
            | (
                {key: entry.get(key, "") for key in INTENT_ACTION_KEYS}
                if any(key in entry for key in INTENT_ACTION_KEYS)
                else {}
            ),
        )
        counts["intents"] += created
        titles = entry.get("name", {})
        for language, text in entry.get("answers", {}).items():
            _answer, created = IntentAnswer.objects.update_or_create(
                intent=intent,
                language=language,
                defaults={"text": text, "title": titles.get(language, slug)},
            )
            counts["answers"] += created
        existing = set(intent.examples.values_list("language", "text"))
        new_examples = {
            (language, question.strip())
            for language, questions in entry.get("examples", {}).items()
            for question in questions
            if question.strip()
        } - existing
        ExampleQuestion.objects.bulk_create(
            ExampleQuestion(intent=intent, language=language, text=text)
            for language, text in sorted(new_examples)
        )
        counts["examples"] += len(new_examples)
    return counts


# What the tables hold (IntentAnswer.language and .title, ExampleQuestion.text): checked
# here, so bad input is a clear error on every database (SQLite would not enforce it).
_LANGUAGE_CODE = re.compile(r"[a-z]{2,3}(-[a-z0-9]{2,4})?")
_SLUG = re.compile(r"[-a-zA-Z0-9_]{1,100}")
TITLE_MAX_LENGTH = 200
INTENT_ACTION_KEYS = ("action", "action_queue", "action_url")
EXAMPLE_MAX_LENGTH = 500


def _knowledge_base_entry_check(entry: object, position: int) -> None:
    """Shape errors name the intent, so an operator can fix the file; nothing is stored."""
    where = f"intents[{position}]"
    if not isinstance(entry, dict) or not isinstance(entry.get("slug"), str) or not entry["slug"]:
        raise ValidationError(f"{where} needs a slug.")
    if not _SLUG.fullmatch(entry["slug"]):
        raise ValidationError(f"{where}: the slug must be letters, digits, - and _ (at most 100).")
    where = f"intent {entry['slug']!r}"
    if not isinstance(entry.get("topic", ""), str) or len(entry.get("topic", "")) > 50:
        raise ValidationError(f"{where}: the topic must be text of at most 50.")
    for key in INTENT_ACTION_KEYS:
        if not isinstance(entry.get(key, ""), str) or len(entry.get(key, "")) > 500:
            raise ValidationError(f"{where}: {key!r} must be text of at most 500.")
    if entry.get("action_queue") and not _SLUG.fullmatch(entry["action_queue"]):
        raise ValidationError(f"{where}: the action queue must be a queue's slug.")
    try:
        intent_action_check(
            action=entry.get("action", ""),
            queue=entry.get("action_queue", ""),
            url=entry.get("action_url", ""),
        )
    except ValidationError as error:
        raise ValidationError(
            {
                key: [f"{where}: {message}" for message in messages]
                for key, messages in error.message_dict.items()
            }
        ) from None
    for key in ("name", "answers", "examples"):
        if not isinstance(entry.get(key, {}), dict):
            raise ValidationError(f'{where}: "{key}" must map languages to values.')
    for key in ("name", "answers", "examples"):
        for language in entry.get(key, {}):
            if not isinstance(language, str) or not _LANGUAGE_CODE.fullmatch(language):
                raise ValidationError(f"{where}: {language!r} is not a language code like 'de'.")
    for language, title in entry.get("name", {}).items():
        if not isinstance(title, str) or len(title) > TITLE_MAX_LENGTH:
            raise ValidationError(f"{where}: the {language} title must be text of at most 200.")
    # Slug and titles are shown to every customer: the redaction gate must find nothing.
    try:
        slug_validator(entry["slug"])
    except ValidationError as error:
        raise ValidationError({"slug": error.messages}) from None
    for language, title in entry.get("name", {}).items():
        try:
            title_validator(title)
        except ValidationError as error:
            raise ValidationError(
                {"titles": [f"{language}: {message}" for message in error.messages]}
            ) from None
    for language, text in entry.get("answers", {}).items():
        if not isinstance(text, str) or not text.strip():
            raise ValidationError(f"{where}: the {language} answer must be non-empty text.")
    for language, questions in entry.get("examples", {}).items():
        if not isinstance(questions, list) or not all(
            isinstance(q, str) and len(q) <= EXAMPLE_MAX_LENGTH for q in questions
        ):
            raise ValidationError(
                f"{where}: the {language} examples must be a list of texts of at most 500."
            )


def knowledge_base_import_file(*, path: Path) -> dict[str, int]:
    with open(path, encoding="utf-8") as file:
        return knowledge_base_import(data=json.load(file))


def knowledge_base_export() -> dict:
    """The whole knowledge base in the import format (round-trips through the import).

    Without the examples of people who objected to learning or did not consent: an
    import would bring them back as operator-written ones, free of their person.
    """
    learnable = Prefetch("examples", queryset=example_questions_learnable())
    intents = Intent.objects.prefetch_related("answers", learnable).order_by("slug")
    return {
        "version": KNOWLEDGE_BASE_FORMAT_VERSION,
        "intents": [
            {
                "slug": intent.slug,
                "topic": intent.topic,
                "is_active": intent.is_active,
                "action": intent.action,
                "action_queue": intent.action_queue,
                "action_url": intent.action_url,
                "name": {answer.language: answer.title for answer in intent.answers.all()},
                "answers": {answer.language: answer.text for answer in intent.answers.all()},
                "examples": _examples_by_language(intent),
            }
            for intent in intents
        ],
    }


def _examples_by_language(intent: Intent) -> dict[str, list[str]]:
    examples: dict[str, list[str]] = {}
    for example in intent.examples.all():
        examples.setdefault(example.language, []).append(example.text)
    return examples


KNOWLEDGE_CSV_COLUMNS = ["slug", "topic", "language", "field", "text"]
KNOWLEDGE_CSV_FIELDS = ("title", "answer", "example")


def knowledge_base_csv_export() -> str:
    """One row per title, answer and example question: easy to edit in a spreadsheet."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(KNOWLEDGE_CSV_COLUMNS)
    for intent in knowledge_base_export()["intents"]:
        for language, title in intent["name"].items():
            writer.writerow([intent["slug"], intent["topic"], language, "title", title])
        for language, text in intent["answers"].items():
            writer.writerow([intent["slug"], intent["topic"], language, "answer", text])
        for language, questions in intent["examples"].items():
            for question in questions:
                writer.writerow([intent["slug"], intent["topic"], language, "example", question])
    return buffer.getvalue()


def knowledge_base_csv_import(*, text: str) -> dict[str, int]:
    """Import the CSV of knowledge_base_csv_export (additive, like the JSON import)."""
    # newline="": the csv module reads line ends itself (a lone "\r" is one, or quoted text).
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        return _knowledge_base_csv_rows_import(reader)
    except csv.Error as error:
        raise ValidationError(f"This is not a readable CSV file ({error}).") from error


def _knowledge_base_csv_rows_import(reader: csv.DictReader) -> dict[str, int]:
    if reader.fieldnames is None or set(KNOWLEDGE_CSV_COLUMNS) - set(reader.fieldnames):
        raise ValidationError(f"The CSV needs the columns {', '.join(KNOWLEDGE_CSV_COLUMNS)}.")
    intents: dict[str, dict] = {}
    for line, row in enumerate(reader, start=2):
        if row["field"] not in KNOWLEDGE_CSV_FIELDS or not row["slug"] or not row["language"]:
            raise ValidationError(
                f"Line {line}: needs a slug, a language and a field "
                f"({', '.join(KNOWLEDGE_CSV_FIELDS)})."
            )
        entry = intents.setdefault(
            row["slug"],
            {"slug": row["slug"], "topic": row["topic"], "name": {}, "answers": {}, "examples": {}},
        )
        if row["field"] == "title":
            entry["name"][row["language"]] = row["text"]
        elif row["field"] == "answer":
            entry["answers"][row["language"]] = row["text"]
        else:
            entry["examples"].setdefault(row["language"], []).append(row["text"])
    return knowledge_base_import(
        data={"version": KNOWLEDGE_BASE_FORMAT_VERSION, "intents": list(intents.values())}
    )


@transaction.atomic
def intent_save(
    *,
    slug: str,
    topic: str = "",
    is_active: bool = True,
    titles: dict[str, str],
    answers: dict[str, str],
    examples: dict[str, list[str]],
    action: str = "",
    action_queue: str = "",
    action_url: str = "",
    intent: Intent | None = None,
) -> Intent:
    """Create an intent, or replace one's answers, examples and action with exactly these."""
    entry = {
        "slug": slug,
        "topic": topic,
        "name": titles,
        "answers": answers,
        "examples": examples,
        "action": action,
        "action_queue": action_queue,
        "action_url": action_url,
    }
    _knowledge_base_entry_check(entry, 0)
    if set(titles) != set(answers):
        raise ValidationError("Give a title for each language that has an answer.")
    if intent is None:
        if Intent.objects.filter(slug=slug).exists():
            raise ValidationError(f"An intent {slug!r} exists already.")
        intent = Intent(slug=slug)
    intent.slug, intent.topic, intent.is_active = slug, topic, is_active
    intent.action, intent.action_queue, intent.action_url = action, action_queue, action_url
    intent.full_clean()
    intent.save()
    intent.answers.exclude(language__in=list(answers)).delete()
    for language, text in answers.items():
        IntentAnswer.objects.update_or_create(
            intent=intent, language=language, defaults={"text": text, "title": titles[language]}
        )
    wanted = {
        (lang, q.strip()) for lang, questions in examples.items() for q in questions if q.strip()
    }
    existing = {(e.language, e.text): e.pk for e in intent.examples.all()}
    ExampleQuestion.objects.filter(
        pk__in=[pk for key, pk in existing.items() if key not in wanted]
    ).delete()
    ExampleQuestion.objects.bulk_create(
        ExampleQuestion(intent=intent, language=lang, text=text)
        for lang, text in sorted(wanted - set(existing))
    )
    return intent


def example_question_teach(
    *, intent: Intent, language: str, text: str, subject_id: int | None, consent_id: int | None
) -> ExampleQuestion:
    """An agent's taught example (already redacted), once: it keeps whose question it was,
    so training leaves it out if that person objects later."""
    example, _created = ExampleQuestion.objects.get_or_create(
        intent=intent,
        language=language,
        text=text,
        defaults={
            "source": ExampleQuestion.Source.AGENT,
            "subject_id": subject_id,
            "consent_id": consent_id,
        },
    )
    return example
