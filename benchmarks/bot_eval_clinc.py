"""The intent classifier on CLINC150, against a baseline measured in the same run.

Trains on ../shared/data/clinc150_train.jsonl (15,000 questions, 150 intents, no
out-of-scope ones) and tests on clinc150_val.jsonl (3,000 in scope + 100 out of
scope), exactly as `manage.py bot_eval` does. The baseline is spaCy's default
bag-of-words textcat (`spacy.TextCatBOW.v3`: unigrams of the raw token text,
2^18 hashed rows) on the same split and training loop, answering when its top
softmax probability is at least 0.5 (the usual fixed threshold).

    .venv/bin/python benchmarks/bot_eval_clinc.py [--json] [--with-oos-train] [--no-baseline]
        [--data FOLDER]

Takes about 5 minutes on 2 cores, mostly the baseline (its 2^18 x 150 weights).
"""

import argparse
import json
import logging
import random
import sys
import tempfile
import time
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[1]
DATA = REPOSITORY.parent / "shared" / "data"
sys.path.insert(0, str(REPOSITORY))

import spacy  # noqa: E402
from spacy.training import Example  # noqa: E402
from spacy.util import fix_random_seed, minibatch  # noqa: E402
from thinc.api import Adam  # noqa: E402

from benchmarks.isolation import isolate_this_process  # noqa: E402
from bot.nlu.calibration import NEVER, Thresholds  # noqa: E402
from bot.nlu.evaluation import (  # noqa: E402
    IntentEvaluation,
    intent_evaluation_lines,
    intent_evaluation_run,
    intent_examples_read,
    intent_model_evaluate,
)
from bot.nlu.intents import IntentHyperparameters, IntentModel, intent_examples_split  # noqa: E402
from bot.nlu.training import HELD_BACK_SHARE_DEFAULT  # noqa: E402

logger = logging.getLogger(__name__)

SEED = 0
BASELINE_THRESHOLD = 0.5
FIGURES = [
    ("in_scope_accuracy", "in-scope accuracy"),
    ("out_of_scope_recall", "out-of-scope recall"),
    ("out_of_scope_precision", "out-of-scope precision"),
    ("automation_rate", "automation rate"),
    ("answer_precision", "answer precision"),
    ("training_seconds", "training seconds"),
    ("training_cpu_seconds", "training CPU seconds"),
    ("latency_p50_ms", "latency p50 ms"),
    ("latency_p95_ms", "latency p95 ms"),
]


def baseline_evaluate(
    train: list[tuple[str, str]], test: list[tuple[str, str]]
) -> IntentEvaluation:
    """spaCy's default BOW textcat, trained like ours: same split, optimiser, early stopping."""
    hyperparameters = IntentHyperparameters()
    started, started_cpu = time.perf_counter(), time.process_time()
    fit, held = intent_examples_split(train, share=HELD_BACK_SHARE_DEFAULT, seed=SEED)
    labels = sorted({intent for _, intent in fit})
    fix_random_seed(SEED)
    rng = random.Random(SEED)
    nlp = spacy.blank("en")
    textcat = nlp.add_pipe(
        "textcat",
        config={
            "model": {
                "@architectures": "spacy.TextCatBOW.v3",
                "exclusive_classes": True,
                "ngram_size": 1,
                "no_output_layer": False,
                "length": 262144,
            }
        },
    )
    for label in labels:
        textcat.add_label(label)
    examples = [
        Example.from_dict(
            nlp.make_doc(text), {"cats": {label: float(label == intent) for label in labels}}
        )
        for text, intent in fit
    ]
    optimizer = Adam(learn_rate=hyperparameters.learn_rate, L2=hyperparameters.weight_decay)
    nlp.initialize(lambda: examples[:100], sgd=optimizer)
    model = IntentModel(nlp=nlp)
    best, best_weights, epoch_best, epoch = -1.0, None, 0, 0
    for epoch in range(1, 11):
        rng.shuffle(examples)
        for batch in minibatch(examples, size=hyperparameters.batch_size_max):
            nlp.update(batch, sgd=optimizer)
        scored = [(text, intent) for text, intent in held if intent in labels]
        predictions = model.predict([text for text, _ in scored], top_k=1)
        accuracy = sum(p.intent == i for p, (_, i) in zip(predictions, scored, strict=True)) / len(
            scored
        )
        logger.info("baseline epoch %d: held-back accuracy %.4f", epoch, accuracy)
        if accuracy > best:
            best, best_weights, epoch_best = accuracy, textcat.model.to_bytes(), epoch
        elif epoch - epoch_best >= hyperparameters.patience:
            break
    textcat.model.from_bytes(best_weights)
    model.metadata["calibration"] = f"not calibrated (fixed threshold {BASELINE_THRESHOLD})"
    return intent_model_evaluate(
        model,
        test,
        train_examples=len(train),
        training_seconds=time.perf_counter() - started,
        training_cpu_seconds=time.process_time() - started_cpu,
        epochs=epoch_best,
        thresholds=Thresholds(answer=BASELINE_THRESHOLD, suggest=NEVER, suggestions=1),
    )


def ratio(ours: float | None, baseline: float | None) -> float | None:
    if ours is None or not baseline:
        return None
    return ours / baseline


def table_lines(ours: IntentEvaluation, baseline: IntentEvaluation | None) -> list[str]:
    lines = [f"{'':26}{'ours':>10}{'baseline':>10}{'ratio':>8}"]
    for key, label in FIGURES:
        mine = getattr(ours, key)
        theirs = getattr(baseline, key) if baseline else None
        quotient = ratio(mine, theirs)
        lines.append(
            f"{label:26}{mine:>10.3f}"
            + (f"{theirs:>10.3f}" if theirs is not None else f"{'-':>10}")
            + (f"{quotient:>8.2f}" if quotient is not None else f"{'-':>8}")
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="one JSON object")
    parser.add_argument(
        "--with-oos-train",
        action="store_true",
        help="add clinc150_oos_train.jsonl (100 out-of-scope questions) to our training file",
    )
    parser.add_argument("--no-baseline", action="store_true", help="skip the baseline")
    parser.add_argument(
        "--data", type=Path, default=DATA, help="folder of the clinc150_*.jsonl files"
    )
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="supportdesk-bot-eval-") as workdir:
        # Trains in memory only; should anything write, it writes here, not into var/.
        isolate_this_process(Path(workdir))
        evaluate(arguments)


def evaluate(arguments: argparse.Namespace) -> None:
    # Progress (the baseline's epochs) on stderr; the figures are the output, on stdout.
    logging.basicConfig(level=logging.INFO, format="  %(message)s")

    train = intent_examples_read(arguments.data / "clinc150_train.jsonl")
    test = intent_examples_read(arguments.data / "clinc150_val.jsonl")
    ours_train = train + (
        intent_examples_read(arguments.data / "clinc150_oos_train.jsonl")
        if arguments.with_oos_train
        else []
    )
    ours = intent_evaluation_run(train=ours_train, test=test, language="en", seed=SEED)
    baseline = None if arguments.no_baseline else baseline_evaluate(train, test)

    if arguments.json:
        ratios = (
            {key: ratio(getattr(ours, key), getattr(baseline, key)) for key, _ in FIGURES}
            if baseline
            else None
        )
        print(
            json.dumps(
                {
                    "ours": ours.to_dict(),
                    "baseline": baseline.to_dict() if baseline else None,
                    "ratios": ratios,
                }
            )
        )
        return
    print("\n".join(intent_evaluation_lines(ours)))
    if baseline:
        print()
        print("\n".join(intent_evaluation_lines(baseline)))
    print()
    print("\n".join(table_lines(ours, baseline)))


if __name__ == "__main__":
    main()
