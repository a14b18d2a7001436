from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from privacy.redaction.recogniser import LANGUAGES, model_directory
from privacy.redaction.training import (
    TrainingConfig,
    holdout_write,
    redaction_model_train,
    training_files_missing,
)


class Command(BaseCommand):
    help = (
        "Train the name recogniser of one language from the public NER sets and generated "
        "support-chat sentences, and write it to privacy/redaction/models/<lang>/ with its "
        "artefact record (data, seed, configuration, checksums)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--lang", choices=LANGUAGES, required=True)
        parser.add_argument(
            "--data-dir", type=Path, required=True, help="directory with the ner_*.jsonl files"
        )
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--epochs", type=int, default=TrainingConfig.epochs)
        parser.add_argument(
            "--generated",
            type=int,
            default=TrainingConfig.generated_sentences,
            help="how many support-chat sentences to generate",
        )
        parser.add_argument("--width", type=int, default=TrainingConfig.width, help="tok2vec width")
        parser.add_argument("--depth", type=int, default=TrainingConfig.depth, help="tok2vec depth")
        parser.add_argument(
            "--embed-size", type=int, default=TrainingConfig.embed_size, help="hash-embedding rows"
        )
        parser.add_argument(
            "--lowercase-share",
            type=float,
            default=TrainingConfig.lowercase_share,
            help="share of public sentences added again in lower case",
        )
        parser.add_argument(
            "--replaced-copies",
            type=int,
            default=TrainingConfig.replaced_copies,
            help="copies of each public sentence with persons, their names replaced",
        )
        parser.add_argument(
            "--replace-other-words",
            action="store_true",
            help="the copies also replace places, organisations and some nouns (German)",
        )
        parser.add_argument(
            "--averaged-parameters",
            action="store_true",
            help="write the optimiser's moving averages of the weights, as spacy train does",
        )
        parser.add_argument(
            "--vector-rows",
            type=int,
            default=TrainingConfig.vector_rows,
            help="rows of the subword vectors distilled from the sentence encoder (0: none)",
        )
        parser.add_argument(
            "--vector-dimensions",
            type=int,
            default=TrainingConfig.vector_dimensions,
            help="dimensions of the subword vectors",
        )
        parser.add_argument(
            "--epoch-checkpoints",
            action="store_true",
            help="also write the model of each epoch N to <output>.epoch-N (an N-epoch run)",
        )
        parser.add_argument(
            "--vector-cache",
            type=Path,
            default=None,
            help="keep fitted subword vectors here and reuse them for the same words",
        )
        parser.add_argument(
            "--output", type=Path, default=None, help="default: the shipped artefact's directory"
        )
        parser.add_argument(
            "--holdout-out",
            type=Path,
            default=None,
            help="also write the held-out lines of partly used files here, for redact_eval",
        )

    def handle(
        self,
        *args,
        lang,
        data_dir,
        seed,
        epochs,
        generated,
        width,
        depth,
        embed_size,
        lowercase_share,
        replaced_copies,
        vector_rows,
        vector_dimensions,
        output,
        holdout_out,
        epoch_checkpoints=False,
        replace_other_words=False,
        averaged_parameters=False,
        vector_cache=None,
        **options,
    ):
        missing = training_files_missing(data_dir, (lang,))
        if missing:
            raise CommandError(f"{data_dir}: missing {', '.join(missing)}")
        if holdout_out:
            for path in holdout_write(lang=lang, data_dir=data_dir, output_dir=holdout_out):
                self.stdout.write(f"held-out lines: {path}")
        result = redaction_model_train(
            lang=lang,
            data_dir=data_dir,
            output_dir=output or model_directory(lang),
            seed=seed,
            epoch_checkpoints=epoch_checkpoints,
            vector_cache=vector_cache,
            progress=lambda line: self.stdout.write(line) or self.stdout.flush(),
            config=TrainingConfig(
                epochs=epochs,
                generated_sentences=generated,
                width=width,
                depth=depth,
                embed_size=embed_size,
                lowercase_share=lowercase_share,
                replaced_copies=replaced_copies,
                replace_other_words=replace_other_words,
                averaged_parameters=averaged_parameters,
                vector_rows=vector_rows,
                vector_dimensions=vector_dimensions,
            ),
        )
        record = result.record
        self.stdout.write(
            f"{record['version']}: {record['training_sentences']} sentences, "
            f"{record['training_seconds']} s, losses {record['losses_per_epoch']}\n"
            f"written to {result.directory}"
        )
