import json

import pytest
from django.core.exceptions import ValidationError

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
