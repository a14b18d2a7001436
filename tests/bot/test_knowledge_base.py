import json

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bot.knowledge_base import (
    DEMO_KNOWLEDGE_BASE,
    knowledge_base_import,
    knowledge_base_import_file,
)
from bot.models import ExampleQuestion, Intent, IntentAnswer

pytestmark = pytest.mark.django_db

MIN_EXAMPLES_PER_LANGUAGE = 10


def test_the_demo_knowledge_base_covers_the_shop_in_both_languages():
    knowledge_base_import_file(path=DEMO_KNOWLEDGE_BASE)

    assert Intent.objects.count() >= 30
    for intent in Intent.objects.all():
        assert set(intent.answers.values_list("language", flat=True)) == {"de", "en"}, intent
        for language in ("de", "en"):
            count = intent.examples.filter(language=language).count()
            assert count >= MIN_EXAMPLES_PER_LANGUAGE, (intent, language)


def test_importing_twice_changes_nothing():
    knowledge_base_import_file(path=DEMO_KNOWLEDGE_BASE)
    before = (Intent.objects.count(), IntentAnswer.objects.count(), ExampleQuestion.objects.count())

    counts = knowledge_base_import_file(path=DEMO_KNOWLEDGE_BASE)

    assert counts == {"intents": 0, "answers": 0, "examples": 0}
    after = (Intent.objects.count(), IntentAnswer.objects.count(), ExampleQuestion.objects.count())
    assert after == before


def test_an_unknown_format_version_is_refused_and_nothing_is_stored():
    data = json.loads(DEMO_KNOWLEDGE_BASE.read_text())
    data["version"] = 99

    with pytest.raises(ValidationError, match="version"):
        knowledge_base_import(data=data)

    assert Intent.objects.count() == 0


@pytest.mark.parametrize(
    "intents",
    [
        "not a list",
        [{"topic": "orders"}],
        [{"slug": "x", "answers": {"de": ""}}],
        [{"slug": "x", "examples": {"de": "a single string"}}],
    ],
)
def test_malformed_knowledge_base_is_refused_with_a_clear_error(intents):
    with pytest.raises(ValidationError):
        knowledge_base_import(data={"version": 1, "intents": intents})

    assert Intent.objects.count() == 0


def test_a_bad_entry_after_good_ones_is_refused_before_anything_is_written():
    data = json.loads(DEMO_KNOWLEDGE_BASE.read_text())
    data["intents"].append({"slug": "late", "answers": {"de": ""}})

    # Every entry is checked first: the refusal costs no write at all.
    with CaptureQueriesContext(connection) as queries, pytest.raises(ValidationError, match="late"):
        knowledge_base_import(data=data)

    writes = [q["sql"] for q in queries if q["sql"].split()[0] in ("INSERT", "UPDATE", "DELETE")]
    assert writes == []
    assert Intent.objects.count() == 0


def test_an_import_reads_the_shops_words_for_redaction_once(monkeypatch):
    from bot import selectors
    from privacy.redaction import allow_list

    reads = []
    texts = selectors.knowledge_base_texts
    monkeypatch.setattr(allow_list, "_shop_word_sources", [lambda: reads.append(1) or texts()])
    allow_list.shop_words_reset()

    counts = knowledge_base_import_file(path=DEMO_KNOWLEDGE_BASE)

    assert counts["intents"] >= 30
    # Not once per intent written (the words are read again after each save).
    assert len(reads) == 1


def test_the_knowledge_base_fixtures_copy_stores_what_the_import_stores(db):
    # given the rows the demo import stores
    from tests.conftest import _knowledge_base_rows_insert, _knowledge_base_rows_read

    knowledge_base_import_file(path=DEMO_KNOWLEDGE_BASE)
    imported = _knowledge_base_rows_read()
    counts = [model.objects.count() for model in (Intent, IntentAnswer, ExampleQuestion)]
    Intent.objects.all().delete()

    # when the fixture inserts its copy of them
    _knowledge_base_rows_insert(imported)

    # then the same rows (every field but ids and timestamps), the same number of them
    assert _knowledge_base_rows_read() == imported
    assert [model.objects.count() for model in (Intent, IntentAnswer, ExampleQuestion)] == counts
    assert counts[0] > 10 and counts[2] > 500
