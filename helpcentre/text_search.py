"""Full-text search over the search documents, with the database's own index.

SQLite (the embedded default): an FTS5 table kept in step with
helpcentre_searchdocument by triggers, ranked by bm25, words stemmed by FTS5's
porter tokenizer. PostgreSQL (scale-out): a stored tsvector column generated with the German or
English dictionary (by the document's language), a GIN index on it, to_tsquery with
the same dictionary, ranked by ts_rank. Both built in migration 0001.
"""

import re
from dataclasses import dataclass

from django.db import connection

from bot.answering import stopwords

FTS_TABLE = "helpcentre_search_fts"
# The PostgreSQL text-search dictionary per language (one GIN index each, migration 0001).
POSTGRES_CONFIGS = {"de": "german", "en": "english"}
_WORD = re.compile(r"\w+", re.UNICODE)
# Longer queries are cut: a pasted letter is not a search.
MAX_QUERY_WORDS = 12


@dataclass(frozen=True)
class TextHit:
    answer_id: int
    # The database's relevance, higher is better (bm25 is negated to match ts_rank).
    score: float


def query_words(text: str, language: str) -> list[str]:
    """The words a search is made of: lower-cased, without the language's stopwords."""
    skip = stopwords(language)
    words: list[str] = []
    for word in _WORD.findall(text.casefold()):
        if word not in skip and word not in words and not word.isdigit():
            words.append(word)
    return words[:MAX_QUERY_WORDS]


def text_search(
    *, words: list[str], language: str, require_all: bool, prefix_last: bool, limit: int
) -> list[TextHit]:
    """Documents in `language` matching all (or any) of `words`, best first.

    `prefix_last`: the last word may be the start of a word (the customer is typing).
    """
    if not words:
        return []
    if connection.vendor == "postgresql":
        return _postgres(words, language, require_all, prefix_last, limit)
    return _sqlite(words, language, require_all, prefix_last, limit)


def _sqlite(words, language, require_all, prefix_last, limit) -> list[TextHit]:
    # Every word quoted (FTS5 syntax characters are then plain text); `*` makes a prefix.
    terms = [f'"{word}"' for word in words]
    if prefix_last:
        terms[-1] += "*"
    match = (" AND " if require_all else " OR ").join(terms)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT document.answer_id, bm25({FTS_TABLE}, 4.0, 1.0) AS rank "  # noqa: S608
            f"FROM {FTS_TABLE} JOIN helpcentre_searchdocument AS document "
            f"ON document.id = {FTS_TABLE}.rowid "
            f"WHERE {FTS_TABLE} MATCH %s AND document.language = %s "
            "ORDER BY rank LIMIT %s",
            [f"{{title content}} : ({match})", language, limit],
        )
        return [TextHit(answer_id=row[0], score=-row[1]) for row in cursor.fetchall()]


def _postgres(words, language, require_all, prefix_last, limit) -> list[TextHit]:
    config = POSTGRES_CONFIGS.get(language)
    if config is None:
        return []
    # Words are \w+ only, so nothing in them is tsquery syntax; quoted for safety all the same.
    terms = ["'" + word.replace("'", "") + "'" for word in words]
    if prefix_last:
        terms[-1] += ":*"
    query = (" & " if require_all else " | ").join(terms)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT answer_id, ts_rank(search_vector, query) AS rank "
            f"FROM helpcentre_searchdocument, to_tsquery('{config}'::regconfig, %s) AS query "
            "WHERE language = %s AND search_vector @@ query "
            "ORDER BY rank DESC LIMIT %s",
            [query, language, limit],
        )
        return [TextHit(answer_id=row[0], score=row[1]) for row in cursor.fetchall()]
