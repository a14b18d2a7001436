"""Group questions the bot could not answer into topics, for supervisors.

Grouping them by the nearest intent hides what matters most: questions about
something the knowledge base does not cover land on whichever intent happens to
be nearest. Here questions are grouped by their own words:

- each question becomes a tf-idf vector of its content words and their character
  3–4-grams (the classifier's features, `bot.nlu.features`), normalised as the
  classifier normalises tokens (`bot.nlu.normalization`); stop words and
  redaction placeholders ("[NAME]", "[EMAIL]" …) are left out, so whose data a
  question contained never decides where it goes;
- leader clustering: a question joins the most similar topic (cosine to the
  topic's centroid) when the similarity reaches `similarity_min`, otherwise it
  starts a topic; one more pass moves each question to its nearest final topic.
  Each pass compares a question with at most `clusters_max` centroids: O(n·k);
- a topic is labelled by its most characteristic words (frequent in it, rare in
  the other questions), shows its most central questions, and names the nearest
  intent only when the topic is close to that intent's example questions.

Pure functions over texts: deterministic (questions are taken in sorted order),
no ORM, and only ever given redacted text.
"""

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy
from spacy.util import get_lang_class

from bot.nlu.features import word_feature_keys
from bot.nlu.normalization import token_normalize

# Cosine similarity from which a question joins a topic. Measured on questions about
# five topics the demo knowledge base does not cover (German and English): at 0.2 no
# topic mixed two of them, and 65-75 % of each one's questions shared a topic (only
# words link them: "Bewerbung" and "Stellt ihr ein?" stay apart); at 0.3, 40-75 %.
# Neighbouring intents merge more easily: of the demo's own example questions 60 %
# share a topic with a majority of their intent at 0.2, 73 % at 0.3.
SIMILARITY_MIN_DEFAULT = 0.2
# A topic is "about" an intent from this similarity to the intent's closest examples;
# a wrong name misleads more than none. Measured with the demo knowledge base: of
# topics of three questions about one of its intents 88 % reach it, of topics the
# knowledge base lacks 0-10 % ("gift wrapping" meets "gift card"); of single
# questions 75-80 % and 7-11 % ("store" meets "stored"). At 0.3: 98-100 % and
# 10-20 %, single questions 22-31 % wrongly named.
INTENT_SIMILARITY_MIN_DEFAULT = 0.4
CLUSTERS_MAX_DEFAULT = 100
EXAMPLES_MAX = 3
TERMS_MAX = 3
# The intent's examples a topic is compared with (the mean of the closest few).
INTENT_EXAMPLES_COMPARED = 3
CHAR_NGRAM_MIN, CHAR_NGRAM_MAX = 3, 4

_PLACEHOLDER = re.compile(r"\[[A-Z][A-Z_]*\]")
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class QuestionTopic:
    # The most characteristic words, most characteristic first.
    terms: tuple[str, ...]
    questions: int
    # The most central questions, up to EXAMPLES_MAX, distinct.
    examples: tuple[str, ...]
    # The nearest intent's slug, only when the topic is close to it.
    intent: str | None = None
    intent_similarity: float | None = None
    # Positions of the topic's questions in the list given, in order.
    members: tuple[int, ...] = ()


@lru_cache(maxsize=8)
def _stop_words(language: str) -> frozenset[str]:
    try:
        words = get_lang_class(language).Defaults.stop_words
    except ImportError:  # a language spaCy does not know: no stop words
        words = set()
    return frozenset(token_normalize(word, language=language) for word in words)


def question_words(text: str, *, language: str) -> list[tuple[str, str]]:
    """(normalised, as written in lower case) of each content word: no stop words,
    placeholders, numbers or single letters."""
    stop_words = _stop_words(language)
    words = []
    for match in _WORD.finditer(_PLACEHOLDER.sub(" ", text)):
        written = match.group().casefold()
        norm = token_normalize(written, language=language)
        if len(norm) > 1 and not norm.isdigit() and norm not in stop_words:
            words.append((norm, written))
    return words


class _Vectors:
    """tf-idf vectors of texts over the questions' features, L2-normalised."""

    def __init__(self, words: list[list[str]], *, vocabulary_from: int) -> None:
        keys = [Counter(self._keys(norms)) for norms in words]
        frequencies = Counter(key for counts in keys for key in counts)
        # Columns only for features of questions: no centroid has any other.
        columns: dict[int, int] = {}
        for counts in keys[:vocabulary_from]:
            for key in counts:
                columns.setdefault(key, len(columns))
        self.width = len(columns)
        self.rows: list[tuple[numpy.ndarray, numpy.ndarray]] = []
        total = len(words)
        for counts in keys:
            weights = {
                key: count * (numpy.log((1 + total) / (1 + frequencies[key])) + 1)
                for key, count in counts.items()
            }
            # The norm over all features, also those no question has.
            norm = float(numpy.sqrt(sum(value * value for value in weights.values()))) or 1.0
            kept = sorted(
                (columns[key], value / norm) for key, value in weights.items() if key in columns
            )
            self.rows.append(
                (
                    numpy.fromiter((column for column, _ in kept), dtype="int64", count=len(kept)),
                    numpy.fromiter((value for _, value in kept), dtype="float64", count=len(kept)),
                )
            )

    @staticmethod
    def _keys(norms: list[str]) -> list[int]:
        return [
            key for norm in norms for key in word_feature_keys(norm, CHAR_NGRAM_MIN, CHAR_NGRAM_MAX)
        ]


def _similarities(
    centroids: numpy.ndarray, norms: numpy.ndarray, row: tuple[numpy.ndarray, numpy.ndarray]
) -> numpy.ndarray:
    columns, values = row
    return (centroids[:, columns] @ values) / numpy.maximum(norms, 1e-12)


def _leader_pass(
    rows: list[tuple[numpy.ndarray, numpy.ndarray]],
    *,
    width: int,
    similarity_min: float,
    clusters_max: int,
) -> list[int]:
    """Each row's topic (-1: left out): the most similar topic so far, or a new one."""
    # Grown by doubling: most question sets have far fewer topics than clusters_max.
    centroids = numpy.zeros((min(clusters_max, 16), width))
    norms = numpy.zeros(len(centroids))
    count = 0
    assignment = []
    for row in rows:
        topic = -1
        if count:
            similarities = _similarities(centroids[:count], norms[:count], row)
            best = int(numpy.argmax(similarities))
            if similarities[best] >= similarity_min:
                topic = best
        if topic < 0 and count < clusters_max:
            if count == len(centroids):
                centroids = numpy.vstack([centroids, numpy.zeros_like(centroids)])
                norms = numpy.concatenate([norms, numpy.zeros_like(norms)])
            topic, count = count, count + 1
        if topic >= 0:
            centroids[topic, row[0]] += row[1]
            norms[topic] = numpy.linalg.norm(centroids[topic])
        assignment.append(topic)
    return assignment


def _nearest_pass(
    rows: list[tuple[numpy.ndarray, numpy.ndarray]], assignment: list[int], *, width: int
) -> list[int]:
    """Each row moved to its nearest topic centroid (rows left out stay out)."""
    topics, centroids = _centroids(rows, assignment, width=width)
    norms = numpy.linalg.norm(centroids, axis=1)
    return [
        topics[int(numpy.argmax(_similarities(centroids, norms, row)))] if topic >= 0 else -1
        for row, topic in zip(rows, assignment, strict=True)
    ]


def _centroids(
    rows: list[tuple[numpy.ndarray, numpy.ndarray]], assignment: list[int], *, width: int
) -> tuple[list[int], numpy.ndarray]:
    topics = sorted({topic for topic in assignment if topic >= 0})
    centroids = numpy.zeros((len(topics), width))
    position = {topic: index for index, topic in enumerate(topics)}
    for row, topic in zip(rows, assignment, strict=True):
        if topic >= 0:
            centroids[position[topic], row[0]] += row[1]
    return topics, centroids


def questions_cluster(
    questions: Sequence[str],
    *,
    language: str,
    intent_examples: Sequence[tuple[str, str]] = (),
    similarity_min: float = SIMILARITY_MIN_DEFAULT,
    intent_similarity_min: float = INTENT_SIMILARITY_MIN_DEFAULT,
    clusters_max: int = CLUSTERS_MAX_DEFAULT,
) -> list[QuestionTopic]:
    """Topics of (redacted) questions in one language, the largest first.

    `intent_examples` are (example question, intent slug) pairs of the knowledge
    base in the same language; a topic names the intent whose closest examples
    are at least `intent_similarity_min` similar to it. Questions without a
    content word (only stop words and placeholders) form no topic; once there are
    `clusters_max` topics, a question like none of them is left out.
    """
    order = sorted(range(len(questions)), key=lambda i: (questions[i].casefold(), questions[i]))
    words_all = {i: question_words(questions[i], language=language) for i in order}
    positions = [i for i in order if words_all[i]]
    if not positions:
        return []
    texts = [questions[i] for i in positions]
    words = [words_all[i] for i in positions]
    vectors = _Vectors(
        [[norm for norm, _ in question] for question in words]
        + [
            [norm for norm, _ in question_words(text, language=language)]
            for text, _ in intent_examples
        ],
        vocabulary_from=len(texts),
    )
    rows = vectors.rows[: len(texts)]
    assignment = _leader_pass(
        rows, width=vectors.width, similarity_min=similarity_min, clusters_max=clusters_max
    )
    # The first questions chose among few, still small topics: once more, nearest wins.
    assignment = _nearest_pass(rows, assignment, width=vectors.width)
    topics, centroids = _centroids(rows, assignment, width=vectors.width)
    word_frequency = Counter(norm for question in words for norm in {n for n, _ in question})
    intents = _IntentExamples(vectors.rows[len(texts) :], intent_examples)
    result = []
    for index, topic in enumerate(topics):
        members = [i for i, assigned in enumerate(assignment) if assigned == topic]
        centroid = centroids[index]
        norm = float(numpy.linalg.norm(centroid)) or 1.0
        intent, similarity = intents.nearest(centroid / norm)
        close = similarity is not None and similarity >= intent_similarity_min
        result.append(
            QuestionTopic(
                terms=_terms([words[i] for i in members], word_frequency, len(texts)),
                questions=len(members),
                examples=_examples(
                    [texts[i] for i in members], [rows[i] for i in members], centroid / norm
                ),
                intent=intent if close else None,
                intent_similarity=round(similarity, 3) if close else None,
                members=tuple(sorted(positions[i] for i in members)),
            )
        )
    return sorted(result, key=lambda topic: (-topic.questions, topic.terms, topic.examples))


def _terms(
    members: list[list[tuple[str, str]]], word_frequency: Counter, questions: int
) -> tuple[str, ...]:
    """Words many of the topic's questions use and few others do (class-based tf-idf),
    each as it is most often written."""
    in_topic: Counter = Counter()
    written: dict[str, Counter] = {}
    for question in members:
        for norm, as_written in question:
            written.setdefault(norm, Counter())[as_written] += 1
        in_topic.update({norm for norm, _ in question})
    scores = {
        norm: count / len(members) * numpy.log(1 + questions / word_frequency[norm])
        for norm, count in in_topic.items()
    }
    best = sorted(scores, key=lambda norm: (-scores[norm], norm))[:TERMS_MAX]
    return tuple(
        min(written[norm].items(), key=lambda item: (-item[1], item[0]))[0] for norm in best
    )


def _examples(
    texts: list[str],
    rows: list[tuple[numpy.ndarray, numpy.ndarray]],
    centroid: numpy.ndarray,
) -> tuple[str, ...]:
    similarity = [float(centroid[columns] @ values) for columns, values in rows]
    order = sorted(range(len(texts)), key=lambda i: (-similarity[i], texts[i]))
    examples: list[str] = []
    for i in order:
        if texts[i].casefold() not in {example.casefold() for example in examples}:
            examples.append(texts[i])
        if len(examples) == EXAMPLES_MAX:
            break
    return tuple(examples)


class _IntentExamples:
    """The examples' vectors, flattened: one sparse product scores them all at once."""

    def __init__(
        self,
        rows: list[tuple[numpy.ndarray, numpy.ndarray]],
        intent_examples: Sequence[tuple[str, str]],
    ) -> None:
        self.columns = numpy.concatenate([columns for columns, _ in rows] or [[]]).astype("int64")
        self.values = numpy.concatenate([values for _, values in rows] or [[]])
        self.example = numpy.repeat(numpy.arange(len(rows)), [len(c) for c, _ in rows])
        self.count = len(rows)
        by_intent: dict[str, list[int]] = {}
        for position, (_, intent) in enumerate(intent_examples):
            by_intent.setdefault(intent, []).append(position)
        self.by_intent = {intent: numpy.asarray(by_intent[intent]) for intent in sorted(by_intent)}

    def nearest(self, centroid: numpy.ndarray) -> tuple[str | None, float | None]:
        """The intent whose closest examples are most similar to the (unit) centroid."""
        similarity = numpy.bincount(
            self.example, weights=centroid[self.columns] * self.values, minlength=self.count
        )
        best: tuple[str | None, float | None] = (None, None)
        for intent, positions in self.by_intent.items():
            closest = numpy.sort(similarity[positions])[-INTENT_EXAMPLES_COMPARED:]
            score = float(closest.mean())
            if best[1] is None or score > best[1]:
                best = (intent, score)
        return best
