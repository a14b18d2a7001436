"""The keyword-matching answerer: the bot's fallback until the spaCy model is active.

Scores a question against every example question of the knowledge base by
word overlap (after folding case and umlauts). Plain Python over a snapshot of
the knowledge base, so it runs without the database in tests and benchmarks.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from bot.dialog import Answer
from bot.nlu.calibration import Band, Thresholds, decide

if TYPE_CHECKING:  # spaCy and thinc load with a model, not with this module
    from bot.nlu.intents import IntentPrediction

_WORD = re.compile(r"\w+", re.UNICODE)
_FOLD = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
# Words that carry no topic; without them "wie kann ich" matches everything.
_STOPWORDS = {
    "de": set(
        "ich du sie er es wir ihr mein meine meinen meiner mich mir dein ihre ihren der die das "
        "den dem des ein eine einen einem einer und oder aber ist sind war bin hat habe haben "
        "kann koennen koennte wie was wo wann warum wer ob zu zum zur mit von bei fuer auf an in "
        "im am noch schon nicht kein keine bitte mal hallo hi danke gerne ja nein auch so da "
        "dass denn wenn sich man es gibt werden wird wurde muss moechte will".split()
    ),
    "en": set(
        "i you he she it we they my me your our the a an and or but is are was am be been have "
        "has had can could would should will do does did how what where when why who whether to "
        "of for with at on in from by not no please hi hello thanks yes also so that this there "
        "if any some get".split()
    ),
}


def stopwords(language: str) -> set[str]:
    """Words that carry no topic in `language` (the help centre's text search drops them too)."""
    return _STOPWORDS.get(language, set())


def _tokens(text: str, language: str) -> set[str]:
    folded = unicodedata.normalize("NFKC", text).lower().translate(_FOLD)
    stopwords = _STOPWORDS.get(language, set())
    return {word for word in _WORD.findall(folded) if word not in stopwords and len(word) > 1}


@dataclass(frozen=True)
class KnowledgeEntry:
    intent_slug: str
    language: str
    title: str
    answer: str
    examples: tuple[str, ...]


def _titles_index(
    entries: dict[tuple[str, str], KnowledgeEntry],
) -> dict[tuple[str, str], KnowledgeEntry]:
    """(language, folded title) -> entry, the first entry of a title winning as before."""
    titles: dict[tuple[str, str], KnowledgeEntry] = {}
    for entry in entries.values():
        titles.setdefault((entry.language, entry.title.casefold()), entry)
    return titles


class KeywordAnswerer:
    """Bands from fixed thresholds on the word-overlap score (not calibrated)."""

    def __init__(
        self,
        entries: list[KnowledgeEntry],
        *,
        answer_threshold: float = 0.6,
        suggest_threshold: float = 0.3,
    ) -> None:
        self.answer_threshold, self.suggest_threshold = answer_threshold, suggest_threshold
        self._entries = {(e.intent_slug, e.language): e for e in entries}
        self._examples: dict[str, list[tuple[str, set[str]]]] = defaultdict(list)
        # Per language, word -> positions of the examples holding it: a question is scored
        # against the examples sharing a word with it only, not all of them (the help
        # centre's search on 5,000 articles; see benchmarks/help_search.py).
        self._word_index: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
        # A clicked suggestion comes back as a title: found by its folded text.
        self._titles = _titles_index(self._entries)
        for entry in entries:
            for example in entry.examples:
                tokens = _tokens(example, entry.language)
                if tokens:
                    position = len(self._examples[entry.language])
                    self._examples[entry.language].append((entry.intent_slug, tokens))
                    for word in tokens:
                        self._word_index[entry.language][word].append(position)

    def ranked(self, question: str, language: str, *, limit: int = 3) -> list[Answer]:
        """The best `limit` intents for the question, each as an answer with its score."""
        words = _tokens(question, language)
        index = self._word_index.get(language, {})
        overlaps: dict[int, int] = defaultdict(int)
        for word in words:
            for position in index.get(word, ()):
                overlaps[position] += 1
        examples = self._examples.get(language, [])
        scores: dict[str, float] = {}
        # In the examples' order, so ties rank as they always did.
        for position in sorted(overlaps):
            slug, example = examples[position]
            score = 2 * overlaps[position] / (len(words) + len(example))
            scores[slug] = max(scores.get(slug, 0.0), score)
        ranked = sorted(scores.items(), key=lambda item: item[1], reverse=True)[:limit]
        return [
            Answer(
                text=self._entries[(slug, language)].answer,
                confidence=round(score, 4),
                intent_slug=slug,
                suggestions=(self._entries[(slug, language)].title,),
            )
            for slug, score in ranked
        ]

    def answers(self, questions: Sequence[tuple[str, str]]) -> list[Answer | None]:
        """`answer` for each (question, language): plain Python, nothing to batch."""
        return [self.answer(question, language) for question, language in questions]

    def answer(self, question: str, language: str) -> Answer | None:
        # A suggestion the customer clicked comes back as the intent's title.
        clicked = self._titles.get((language, question.strip().casefold()))
        if clicked is not None:
            return Answer(
                text=clicked.answer,
                confidence=1.0,
                intent_slug=clicked.intent_slug,
                band=Band.ANSWER,
                clicked=True,
            )
        ranked = self.ranked(question, language)
        if not ranked:
            return None
        top = ranked[0]
        entry = self._entries[(top.intent_slug, language)]
        if top.confidence >= self.answer_threshold:
            band = Band.ANSWER
        elif top.confidence >= self.suggest_threshold:
            band = Band.SUGGEST
        else:
            band = Band.ESCALATE
        return Answer(
            text=entry.answer,
            confidence=top.confidence,
            intent_slug=top.intent_slug,
            suggestions=tuple(answer.suggestions[0] for answer in ranked),
            band=band,
        )


class ModelAnswerer:
    """Answers with the trained intent models and their calibrated bands.

    A language without an active model falls back to the keyword answerer, and
    so does a clicked suggestion (it comes back as an intent's title). Each answer
    says what worked it out (`Answer.source`): the model, the keyword matcher where
    no model is active, or the fallback where the active model is `unavailable`
    (language -> why), so the analytics count the degraded answers.
    """

    def __init__(
        self,
        entries: list[KnowledgeEntry],
        models: dict,
        fallback: KeywordAnswerer,
        unavailable: dict[str, str] | None = None,
    ):
        self._entries = {(e.intent_slug, e.language): e for e in entries}
        self._titles = _titles_index(self._entries)
        self._models = models
        self._fallback = fallback
        self.unavailable = dict(unavailable or {})

    def _title_clicked(self, question: str, language: str) -> Answer | None:
        entry = self._titles.get((language, question.strip().casefold()))
        if entry is None:
            return None
        return Answer(
            text=entry.answer,
            confidence=1.0,
            intent_slug=entry.intent_slug,
            band=Band.ANSWER,
            clicked=True,
        )

    def ranked(self, question: str, language: str, *, limit: int = 3) -> list[Answer]:
        model = self._models.get(language)
        if model is None:
            return self._fallback.ranked(question, language, limit=limit)
        prediction = model.predict_one(question, top_k=limit)
        return [
            Answer(
                text=entry.answer,
                confidence=round(probability, 4),
                intent_slug=slug,
                suggestions=(entry.title,),
            )
            for slug, probability in prediction.top
            if (entry := self._entries.get((slug, language))) is not None
        ]

    def answer(self, question: str, language: str) -> Answer | None:
        return self.answers([(question, language)])[0]

    def answers(self, questions: Sequence[tuple[str, str]]) -> list[Answer | None]:
        """The answer to each (question, language): the questions of a language with a
        model classified as one batch (`IntentModel.predict`), their vectors not cached."""
        answers: list[Answer | None] = [None] * len(questions)
        by_language: dict[str, list[int]] = {}
        for position, (question, language) in enumerate(questions):
            if language not in self._models:
                answer = self._fallback.answer(question, language)
                source = "fallback" if language in self.unavailable else "keyword"
                answers[position] = replace(answer, source=source) if answer is not None else None
            elif (clicked := self._title_clicked(question, language)) is not None:
                answers[position] = replace(clicked, source="model")
            else:
                by_language.setdefault(language, []).append(position)
        for language, positions in by_language.items():
            model = self._models[language]
            predictions = model.predict(
                [questions[position][0] for position in positions],
                top_k=model.thresholds.suggestions,
                cached=False,
            )
            for position, prediction in zip(positions, predictions, strict=True):
                answers[position] = self._model_answer(prediction, language, model.thresholds)
        return answers

    def _model_answer(
        self, prediction: IntentPrediction, language: str, thresholds: Thresholds
    ) -> Answer | None:
        entry = self._entries.get((prediction.intent, language))
        if entry is None:  # an intent deactivated since the model was trained
            return None
        titles = tuple(
            self._entries[(slug, language)].title
            for slug, _probability in prediction.top
            if (slug, language) in self._entries
        )
        return Answer(
            text=entry.answer,
            confidence=round(prediction.confidence, 4),
            intent_slug=prediction.intent,
            suggestions=titles,
            band=str(decide(prediction, thresholds)),
            source="model",
        )
