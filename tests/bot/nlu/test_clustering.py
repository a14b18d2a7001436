import json
import random
from pathlib import Path

import pytest

import bot
from bot.nlu.clustering import question_words, questions_cluster

DEMO_KNOWLEDGE_BASE = Path(bot.__file__).resolve().parent / "fixtures" / "demo_knowledge_base.json"

# Questions about what the demo shop's knowledge base does not cover.
WOOL_CARE = {
    "de": [
        "Wie wasche ich Merinowolle?",
        "Darf der Merino-Pullover in die Waschmaschine?",
        "Kann ich die Merinowolle-Socken in den Trockner tun?",
        "bei wie viel grad merinowolle waschen",
    ],
    "en": [
        "How do I wash merino wool?",
        "Can the merino wool jumper go in the washing machine?",
        "Is it ok to tumble dry the merino wool socks?",
        "what temperature for washing merino",
    ],
}
ASSEMBLY = {
    "de": [
        "Bietet ihr einen Aufbauservice für Möbel an?",
        "Kann jemand den Schrank für mich aufbauen? Möbelaufbau gewünscht",
        "Ist der Möbelaufbau inklusive?",
    ],
    "en": [
        "Do you offer an assembly service for furniture?",
        "Can someone assemble the furniture for me?",
        "Is furniture assembly included?",
    ],
}
RETURN_LABEL = {
    "de": [
        "Ich brauche einen Retourenschein für meine Rücksendung",
        "Wo ist das Rücksendeetikett für die Retoure?",
        "Retourenschein drucken, wo finde ich den?",
    ],
    "en": [
        "I need a return label to send my order back",
        "Where is the return label for my return?",
        "print return label, where do I find it?",
    ],
}


def demo_examples(language: str) -> list[tuple[str, str]]:
    data = json.loads(DEMO_KNOWLEDGE_BASE.read_text())
    return [
        (question, intent["slug"])
        for intent in data["intents"]
        for question in intent["examples"][language]
    ]


def topic_of(topics, question_index: int):
    [topic] = [topic for topic in topics if question_index in topic.members]
    return topic


@pytest.mark.parametrize("language", ["de", "en"])
def test_questions_about_a_topic_the_knowledge_base_lacks_group_together(language):
    questions = WOOL_CARE[language] + ASSEMBLY[language]

    topics = questions_cluster(
        questions, language=language, intent_examples=demo_examples(language)
    )

    wool = topic_of(topics, 0)
    assert wool.members == (0, 1, 2, 3) and wool.questions == 4
    assert wool.intent is None  # nothing in the knowledge base is close
    assert any("merino" in term for term in wool.terms)
    assert topics[0] == wool  # the largest topic first


@pytest.mark.parametrize("language", ["de", "en"])
def test_distinct_topics_stay_apart(language):
    questions = WOOL_CARE[language] + ASSEMBLY[language] + RETURN_LABEL[language]

    topics = questions_cluster(questions, language=language)

    wool, assembly, returns = (topic_of(topics, index) for index in (0, 4, 7))
    assert len({wool, assembly, returns}) == 3
    assert set(wool.members) <= {0, 1, 2, 3}
    assert set(assembly.members) <= {4, 5, 6}
    assert set(returns.members) <= {7, 8, 9}
    assert returns.members == (7, 8, 9)


@pytest.mark.parametrize("language", ["de", "en"])
def test_a_topic_close_to_an_intent_names_it(language):
    topics = questions_cluster(
        RETURN_LABEL[language], language=language, intent_examples=demo_examples(language)
    )

    [topic] = topics
    assert topic.intent == "return_how"
    assert topic.intent_similarity >= 0.4


def test_placeholders_of_personal_data_do_not_drive_the_clustering():
    # given: each question carries the same placeholders; only the topic differs
    questions = [
        "[NAME] hier, [EMAIL]: wie wasche ich Merinowolle?",
        "[NAME] hier, [EMAIL]: bietet ihr Möbelaufbau an?",
        "Hallo, ich bin [NAME] ([PHONE]). Darf Merinowolle in die Waschmaschine?",
        "Hallo, ich bin [NAME] ([PHONE]). Ist der Möbelaufbau inklusive?",
    ]

    topics = questions_cluster(questions, language="de")

    assert sorted(topic.members for topic in topics) == [(0, 2), (1, 3)]
    assert all("name" not in term and "email" not in term for t in topics for term in t.terms)
    assert question_words("[NAME] [EMAIL] [ADDRESS]", language="de") == []


def test_questions_without_content_words_form_no_topic():
    assert questions_cluster(["[NAME]", "und dann?", "Ich bin [NAME]."], language="de") == []
    assert questions_cluster([], language="en") == []


def test_a_topic_shows_at_most_three_distinct_examples():
    questions = ["How do I wash merino wool?"] * 3 + WOOL_CARE["en"][1:]

    [topic] = questions_cluster(questions, language="en")

    assert topic.questions == 6
    assert len(topic.examples) == 3
    assert len({example.casefold() for example in topic.examples}) == 3


def test_the_topics_do_not_depend_on_the_order_of_the_questions():
    questions = WOOL_CARE["en"] + ASSEMBLY["en"] + RETURN_LABEL["en"]
    shuffled = questions[:]
    random.Random(4).shuffle(shuffled)

    def as_sets(topics, given):
        return sorted(
            (sorted(given[i] for i in topic.members), topic.terms, topic.examples)
            for topic in topics
        )

    assert as_sets(questions_cluster(questions, language="en"), questions) == as_sets(
        questions_cluster(shuffled, language="en"), shuffled
    )


def test_the_number_of_topics_is_bounded():
    questions = [f"question about {chr(97 + n // 26)}{chr(97 + n % 26)}word" for n in range(50)]

    topics = questions_cluster(questions, language="en", similarity_min=0.99, clusters_max=10)

    assert len(topics) == 10
    assert sum(topic.questions for topic in topics) == 10  # the rest fit none: left out
