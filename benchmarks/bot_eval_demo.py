"""The intent classifier on the demo shop's knowledge base, as the product trains it.

For each language it builds the model exactly as `bot.learning.bot_model_train`
does (every example question learnt; thresholds calibrated on cross-validated
predictions) and reports:

- held back: the cross-validated predictions, each fifth judged with thresholds
  calibrated on the other four (what the quality gate compares);
- questions: benchmarks/demo_questions.jsonl, questions customers might ask that
  are not in the knowledge base (three for each intent and 25 the shop cannot
  answer, "oos", per language), written for this project;
- the same two for the tf-idf + logistic regression baseline (`bot.nlu.baseline`),
  built, calibrated and measured alike (`held_back_baseline`, `questions_baseline`).

    .venv/bin/python benchmarks/bot_eval_demo.py [--knowledge-base FILE] [--questions FILE] [--json]

Takes about a minute on 2 cores.
"""

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPOSITORY))

from benchmarks.isolation import isolate_this_process  # noqa: E402
from bot.nlu.baseline import baseline_model_train  # noqa: E402
from bot.nlu.evaluation import (  # noqa: E402
    intent_evaluation_lines,
    intent_held_back_evaluate,
    intent_model_evaluate,
)
from bot.nlu.intents import IntentTrainingLog  # noqa: E402
from bot.nlu.training import intent_model_build  # noqa: E402

KNOWLEDGE_BASE = REPOSITORY / "bot" / "fixtures" / "demo_knowledge_base.json"
QUESTIONS = Path(__file__).resolve().parent / "demo_questions.jsonl"
LANGUAGES = ("de", "en")


def language_evaluate(knowledge_base: dict, questions: list[dict], language: str) -> dict:
    # As bot.learning.training_examples orders them: by intent, then as written.
    examples = [
        (text, intent["slug"])
        for intent in sorted(knowledge_base["intents"], key=lambda intent: intent["slug"])
        for text in intent["examples"].get(language, [])
    ]
    test = [(row["text"], row["intent"]) for row in questions if row["language"] == language]
    results = {}
    # Ours, and the tf-idf + logistic regression baseline built and calibrated alike.
    for suffix, trainer in (("", None), ("_baseline", baseline_model_train)):
        log = IntentTrainingLog()
        started, started_cpu = time.perf_counter(), time.process_time()
        model = intent_model_build(examples, language=language, log=log, trainer=trainer)
        timing = {
            "train_examples": len(examples),
            "training_seconds": time.perf_counter() - started,
            "training_cpu_seconds": time.process_time() - started_cpu,
            "epochs": log.epoch_best,
        }
        results[f"held_back{suffix}"] = intent_held_back_evaluate(model, log.held_back, **timing)
        results[f"questions{suffix}"] = intent_model_evaluate(model, test, **timing)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--knowledge-base", type=Path, default=KNOWLEDGE_BASE)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--questions", type=Path, default=QUESTIONS)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="supportdesk-bot-eval-") as workdir:
        # Trains in memory only; should anything write, it writes here, not into var/.
        isolate_this_process(Path(workdir))
        evaluate(options)


def evaluate(options: argparse.Namespace) -> None:
    knowledge_base = json.loads(options.knowledge_base.read_text(encoding="utf-8"))
    questions = [
        json.loads(line) for line in options.questions.read_text(encoding="utf-8").splitlines()
    ]
    results = {
        language: language_evaluate(knowledge_base, questions, language) for language in LANGUAGES
    }
    if options.json:
        print(
            json.dumps(
                {
                    language: {name: evaluation.to_dict() for name, evaluation in parts.items()}
                    for language, parts in results.items()
                },
                indent=2,
            )
        )
        return
    for language, parts in results.items():
        for name, evaluation in parts.items():
            print(f"[{language}] {name.replace('_', ' ')}")
            print("\n".join(intent_evaluation_lines(evaluation)))
            print()


if __name__ == "__main__":
    main()
