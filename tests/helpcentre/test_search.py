"""The help centre's search: the classifier and the database's full-text index together."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from bot.models import ExampleQuestion, Intent, IntentAnswer
from bot.selectors import unanswered_topics
from helpcentre.models import Article, SearchDocument, SearchMiss
from helpcentre.selectors import help_search
from helpcentre.services import search_index_refresh
from helpcentre.text_search import query_words, text_search

pytestmark = pytest.mark.django_db


def slugs(result) -> list[str]:
    return [article.intent.slug for article in result.articles]


@pytest.fixture
def indexed(knowledge_base):
    search_index_refresh()


def test_the_index_holds_one_document_per_answer_of_an_active_intent(indexed):
    assert (
        SearchDocument.objects.count()
        == IntentAnswer.objects.filter(intent__is_active=True).count()
    )


def test_a_refresh_writes_only_what_changed_and_drops_deactivated_intents(indexed):
    answer = IntentAnswer.objects.get(intent__slug="gift_card", language="de")
    Article.objects.create(answer=answer, body="Gutscheine gelten drei Jahre ab Kaufdatum.")
    Intent.objects.filter(slug="exchange").update(is_active=False)

    counts = search_index_refresh()

    assert counts == {"added": 0, "changed": 1, "removed": 2}
    assert search_index_refresh() == {"added": 0, "changed": 0, "removed": 0}


def test_the_text_search_finds_a_word_only_the_longer_body_holds(indexed):
    answer = IntentAnswer.objects.get(intent__slug="gift_card", language="de")
    Article.objects.create(answer=answer, body="Gutscheine gelten drei Jahre ab Kaufdatum.")
    search_index_refresh()

    result = help_search(query="Kaufdatum", language="de")

    assert slugs(result)[:1] == ["gift_card"]
    assert result.good_hit


def test_the_text_search_stems_and_folds_accents(indexed):
    # "Rücksendungen" (plural, with umlaut) finds the article on "ruecksendung"/"Rücksendung".
    hits = text_search(
        words=query_words("Rücksendungen", "de"),
        language="de",
        require_all=True,
        prefix_last=False,
        limit=5,
    )
    found = IntentAnswer.objects.filter(pk__in=[h.answer_id for h in hits])
    assert "return_how" in {answer.intent.slug for answer in found}


def test_a_typed_prefix_finds_the_word_being_typed(indexed):
    hits = text_search(
        words=["versandko"], language="de", require_all=True, prefix_last=True, limit=5
    )
    found = IntentAnswer.objects.filter(pk__in=[h.answer_id for h in hits])
    assert "shipping_costs" in {answer.intent.slug for answer in found}


def test_search_syntax_in_a_query_is_plain_text(indexed):
    for query in ['"', "NEAR(a b)", "a OR", "*", "title:foo", "'; DROP TABLE x; --", "a & | !b"]:
        help_search(query=query, language="de")  # no error


def test_the_classifier_finds_an_article_by_a_paraphrase(indexed):
    # No word of "Paket nicht angekommen" is in the title "Bestellung nicht angekommen"
    # ... except "nicht"/"angekommen"; the classifier ranks the intent first by its examples.
    result = help_search(query="Mein Paket kam nie an, ist es verloren?", language="de")

    assert "order_not_received" in slugs(result)[:3]


def test_articles_are_searched_in_the_page_language_only(indexed):
    result = help_search(query="Versandkosten", language="en")
    assert all(article.language == "en" for article in result.articles)


def test_a_search_without_a_good_hit_is_kept_redacted_and_joins_the_unanswered_topics(
    indexed, client
):
    query = "gibt es eine fahrradversicherung? fragt erika.mustermann@example.org"
    response = client.get("/help/", {"q": query, "language": "de"})

    assert response.status_code == 200
    miss = SearchMiss.objects.get()
    assert "erika.mustermann@example.org" not in miss.text_redacted
    assert "fahrradversicherung" in miss.text_redacted
    with connection.cursor() as cursor:
        cursor.execute("SELECT text_redacted FROM helpcentre_searchmiss")
        assert "mustermann" not in cursor.fetchone()[0]
    today = timezone.localdate()
    topics = unanswered_topics(since=today - timedelta(days=1), until=today)
    assert any("fahrradversicherung" in " ".join(topic["examples"]) for topic in topics)


def test_a_search_with_a_good_hit_is_not_kept(indexed, client):
    client.get("/help/", {"q": "Versandkosten", "language": "de"})
    assert not SearchMiss.objects.exists()


def test_example_questions_count_for_the_text_search(indexed):
    intent = Intent.objects.get(slug="packstation")
    ExampleQuestion.objects.create(intent=intent, language="de", text="Abholstation Zustellung")
    search_index_refresh()
    result = help_search(query="Abholstation", language="de")
    assert slugs(result)[:1] == ["packstation"]


def test_old_searches_without_a_good_hit_are_purged_in_batches_and_twice_is_harmless(db):
    from helpcentre.services import search_misses_purge

    old = timezone.now() - timedelta(days=91)
    for number in range(5):
        SearchMiss.objects.create(language="de", text_redacted=f"alt {number}", created_at=old)
    SearchMiss.objects.create(language="de", text_redacted="neu")

    assert search_misses_purge(older_than_days=90, batch_size=2) == 5
    assert search_misses_purge(older_than_days=90, batch_size=2) == 0
    assert list(SearchMiss.objects.values_list("text_redacted", flat=True)) == ["neu"]


def test_a_refresh_racing_another_process_leaves_the_search_working(indexed, client, monkeypatch):
    from django.db import IntegrityError

    from helpcentre import services

    def raced():
        raise IntegrityError("duplicate key value violates unique constraint")

    monkeypatch.setattr(services, "search_index_refresh", raced)
    monkeypatch.setitem(services._index_checked, "at", float("-inf"))
    monkeypatch.setitem(services._index_checked, "version", None)

    response = client.get("/help/", {"q": "Versandkosten", "language": "de"})

    assert response.status_code == 200 and b"Versandkosten" in response.content
    assert services._index_checked["version"] is None  # looked at again next time
