"""The intent classifier beside the tf-idf + logistic regression baseline, on four data
sets in one run: the README's table.

- clinc: CLINC150 train (15,000) and its 100 out-of-scope training questions (they
  only calibrate the thresholds) -> val (3,000 in scope + 100 out of scope);
- demo: the demo shop's knowledge base -> benchmarks/demo_questions.jsonl, de and en;
- banking77: BANKING77 train, a stratified 20 % held out (seed 0) -> tested on it;
- xsid_de: xSID de (300), 5-fold cross-validation (each fold tested once, figures
  averaged over the folds).

Each set trains ours and the baseline (`bot.nlu.baseline`) on the same examples and
calibrates both with the same code for `--out-of-scope-share` (default 0.18, CLINC150's
test share); answer precision is also reported as if 18 % and 25 % of the questions
were out of scope (sets with out-of-scope test questions only).

    .venv/bin/python benchmarks/bot_eval_sets.py [--sets clinc,demo,banking77,xsid_de]
        [--data FOLDER] [--out-of-scope-share 0.18] [--json]
"""

import argparse
import json
import resource
import statistics
import sys
import tempfile
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[1]
DATA = REPOSITORY.parent / "shared" / "data"
KNOWLEDGE_BASE = REPOSITORY / "bot" / "fixtures" / "demo_knowledge_base.json"
QUESTIONS = Path(__file__).resolve().parent / "demo_questions.jsonl"
sys.path.insert(0, str(REPOSITORY))

from benchmarks.isolation import isolate_this_process  # noqa: E402

SETS = ("clinc", "demo", "banking77", "xsid_de")
SEED = 0
HELD_OUT_SHARE = 0.2
FOLDS = 5
# Rows of the table: (figure, label).
ROWS = (
    ("in_scope_accuracy", "top-1"),
    ("in_scope_answered_right", "in scope answered right"),
    ("answer_precision", "answer precision (test share)"),
    ("precision_18", "answer precision at 18 % oos"),
    ("precision_25", "answer precision at 25 % oos"),
    ("automation_rate", "automation"),
    ("training_seconds", "training s"),
    ("latency_p50_ms", "p50 ms"),
    ("latency_cpu_p50_ms", "CPU p50 ms"),
    ("latency_cpu_mean_ms", "CPU mean ms"),
    ("shortcut_rate", "answered from n-grams alone"),
)


def _figures(evaluation) -> dict:
    data = evaluation.to_dict()
    data["precision_18"] = data["answer_precision_at_share"].get("0.18")
    data["precision_25"] = data["answer_precision_at_share"].get("0.25")
    return data


def _mean(values: list) -> float | None:
    present = [value for value in values if value is not None]
    return statistics.fmean(present) if present else None


def run_set(name: str, arguments: argparse.Namespace) -> dict:
    """{"ours": figures, "baseline": figures, "note": how it was split}."""
    from bot.nlu.evaluation import intent_comparison_run, intent_examples_read
    from bot.nlu.intents import intent_examples_split
    from bot.nlu.training import intent_examples_folds

    share = arguments.out_of_scope_share
    if name == "clinc":
        result = intent_comparison_run(
            train=intent_examples_read(arguments.data / "clinc150_train.jsonl")
            + intent_examples_read(arguments.data / "clinc150_oos_train.jsonl"),
            test=intent_examples_read(arguments.data / "clinc150_val.jsonl"),
            language="en",
            seed=SEED,
            out_of_scope_share=share,
        )
        return {key: _figures(result[key]) for key in ("ours", "baseline")} | {
            "note": "train + oos train -> val"
        }
    if name == "banking77":
        examples = intent_examples_read(arguments.data / "banking77_train.jsonl")
        fit, held = intent_examples_split(examples, share=HELD_OUT_SHARE, seed=SEED)
        result = intent_comparison_run(
            train=fit, test=held, language="en", seed=SEED, out_of_scope_share=share
        )
        return {key: _figures(result[key]) for key in ("ours", "baseline")} | {
            "note": f"train, {HELD_OUT_SHARE:.0%} held out"
        }
    if name == "xsid_de":
        examples = intent_examples_read(arguments.data / "xsid_de_train.jsonl")
        parts = intent_examples_folds(examples, folds=FOLDS, seed=SEED)
        runs = []
        for index, held in enumerate(parts):
            fit = [
                example for other, part in enumerate(parts) if other != index for example in part
            ]
            runs.append(
                intent_comparison_run(
                    train=fit, test=held, language="de", seed=SEED, out_of_scope_share=share
                )
            )
        averaged = {}
        for key in ("ours", "baseline"):
            folds = [_figures(run[key]) for run in runs]
            averaged[key] = {
                figure: _mean([fold[figure] for fold in folds]) for figure, _ in ROWS
            } | {"test_examples": sum(fold["test_examples"] for fold in folds)}
        return averaged | {"note": f"{FOLDS}-fold cross-validation, mean of folds"}
    if name == "demo":
        knowledge_base = json.loads(arguments.knowledge_base.read_text(encoding="utf-8"))
        questions = [
            json.loads(line)
            for line in arguments.questions.read_text(encoding="utf-8").splitlines()
            if line.strip()
        ]
        result = {}
        for language in ("de", "en"):
            examples = [
                (text, intent["slug"])
                for intent in sorted(knowledge_base["intents"], key=lambda i: i["slug"])
                for text in intent["examples"].get(language, [])
            ]
            test = [(q["text"], q["intent"]) for q in questions if q["language"] == language]
            comparison = intent_comparison_run(
                train=examples, test=test, language=language, seed=SEED, out_of_scope_share=share
            )
            for key in ("ours", "baseline"):
                result[f"{key}_{language}"] = _figures(comparison[key])
        return result | {"note": "knowledge base -> demo questions, de / en"}
    raise ValueError(name)


def _cell(value) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def table_lines(results: dict) -> list[str]:
    lines = []
    for name, result in results.items():
        lines.append(f"[{name}] {result['note']}")
        pairs = (
            [("", "ours", "baseline")]
            if "ours" in result
            else [(f" {lang}", f"ours_{lang}", f"baseline_{lang}") for lang in ("de", "en")]
        )
        for suffix, ours_key, baseline_key in pairs:
            for figure, label in ROWS:
                mine, theirs = result[ours_key][figure], result[baseline_key][figure]
                ratio = f"{mine / theirs:.2f}" if mine is not None and theirs else "n/a"
                lines.append(f"  {label + suffix:36}{_cell(mine):>8}{_cell(theirs):>10}{ratio:>7}")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sets", default=",".join(SETS), help="comma-separated, of " + ", ".join(SETS)
    )
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--knowledge-base", type=Path, default=KNOWLEDGE_BASE)
    parser.add_argument("--questions", type=Path, default=QUESTIONS)
    parser.add_argument("--out-of-scope-share", type=float, default=0.18)
    parser.add_argument("--json", action="store_true")
    arguments = parser.parse_args()
    names = [name.strip() for name in arguments.sets.split(",") if name.strip()]
    unknown = sorted(set(names) - set(SETS))
    if unknown:
        parser.error(f"unknown sets: {', '.join(unknown)}")
    with tempfile.TemporaryDirectory(prefix="supportdesk-bot-eval-") as workdir:
        # Trains in memory only; should anything write, it writes here, not into var/.
        isolate_this_process(Path(workdir))
        results = {}
        for name in names:
            results[name] = run_set(name, arguments)
            if not arguments.json:
                print("\n".join(table_lines({name: results[name]})), flush=True)
    # Linux reports kilobytes: both models, the sentence encoder and the data at their peak.
    peak_memory_mb = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    if arguments.json:
        print(json.dumps(results | {"peak_memory_mb": peak_memory_mb}))
    else:
        print(f"Peak memory of this process: {peak_memory_mb} MB.")


if __name__ == "__main__":
    main()
