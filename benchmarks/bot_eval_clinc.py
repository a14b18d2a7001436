"""The intent classifier on CLINC150, against a baseline measured in the same run.

Trains on ../shared/data/clinc150_train.jsonl (15,000 questions, 150 intents, no
out-of-scope ones) and tests on clinc150_val.jsonl (3,000 in scope + 100 out of
scope), exactly as `manage.py bot_eval` does. The baseline is tf-idf + logistic
regression (`bot.nlu.baseline`: word unigrams and bigrams, scikit-learn), trained on
the same examples and calibrated by the same code.

    .venv/bin/python benchmarks/bot_eval_clinc.py [--json] [--with-oos-train] [--no-baseline]
        [--data FOLDER] [--out-of-scope-share SHARE]
"""

import argparse
import json
import sys
import tempfile
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[1]
DATA = REPOSITORY.parent / "shared" / "data"
sys.path.insert(0, str(REPOSITORY))

from benchmarks.isolation import isolate_this_process  # noqa: E402
from bot.nlu.baseline import baseline_model_train  # noqa: E402
from bot.nlu.evaluation import (  # noqa: E402
    evaluation_ratios,
    intent_comparison_lines,
    intent_evaluation_lines,
    intent_evaluation_run,
    intent_examples_read,
)

SEED = 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="one JSON object")
    parser.add_argument(
        "--with-oos-train",
        action="store_true",
        help="add clinc150_oos_train.jsonl (100 out-of-scope questions) to the training file",
    )
    parser.add_argument("--no-baseline", action="store_true", help="skip the baseline")
    parser.add_argument(
        "--data", type=Path, default=DATA, help="folder of the clinc150_*.jsonl files"
    )
    parser.add_argument(
        "--out-of-scope-share",
        type=float,
        default=None,
        help="share of out-of-scope questions to calibrate for (default: the setting)",
    )
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="supportdesk-bot-eval-") as workdir:
        # Trains in memory only; should anything write, it writes here, not into var/.
        isolate_this_process(Path(workdir))
        evaluate(arguments)


def evaluate(arguments: argparse.Namespace) -> None:
    train = intent_examples_read(arguments.data / "clinc150_train.jsonl") + (
        intent_examples_read(arguments.data / "clinc150_oos_train.jsonl")
        if arguments.with_oos_train
        else []
    )
    test = intent_examples_read(arguments.data / "clinc150_val.jsonl")
    runs = {
        name: intent_evaluation_run(
            train=train,
            test=test,
            language="en",
            seed=SEED,
            out_of_scope_share=arguments.out_of_scope_share,
            trainer=trainer,
        )
        for name, trainer in (("ours", None), ("baseline", baseline_model_train))
        if not (name == "baseline" and arguments.no_baseline)
    }
    ours, baseline = runs["ours"], runs.get("baseline")
    if arguments.json:
        print(
            json.dumps(
                {
                    "ours": ours.to_dict(),
                    "baseline": baseline.to_dict() if baseline else None,
                    "ratios": evaluation_ratios(ours, baseline) if baseline else None,
                }
            )
        )
        return
    print("\n".join(intent_evaluation_lines(ours)))
    if baseline:
        print()
        print("\n".join(intent_evaluation_lines(baseline)))
        print()
        print("\n".join(intent_comparison_lines(ours, baseline)))


if __name__ == "__main__":
    main()
