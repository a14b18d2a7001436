"""The cheap common case of redaction gives the same results as before it was made cheap.

`redaction_outputs_sample.jsonl` holds texts and their redaction (patterns and name lists,
the allow-list and known names of benchmarks/redaction_outputs.py) by the code before
issue 22's guards (commit b1eacde, with the form name fields and German lexicon rules merged
beside the guards: the merge gave the same outputs on all 32,531 texts as the code without
the guards, three letters' form fields changed by those rules): the demo shop's
questions, the first 24 letters of `benchmarks/redact_letters_de.py --seed 15` and every
tenth sentence of presidio-research's synthetic PII set (MIT licence). The full comparison,
32,531 texts, is `benchmarks/redaction_outputs.py` (figures in benchmarks/README.md).
"""

import json
import re
from pathlib import Path
from re import _constants as sre
from re import _parser

import pytest

from privacy.redaction import address, names, patterns, text_redact

SAMPLE = Path(__file__).with_name("redaction_outputs_sample.jsonl")
ALLOWED_WORDS = ("Paula", "Rose", "Apple", "Klarna")


def _sample() -> list[dict]:
    with SAMPLE.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines]


def test_the_sample_is_redacted_as_before_the_guards():
    records = _sample()
    assert len(records) > 400
    assert sum(bool(re.search(r"\d", r["text"])) for r in records) > 100  # both paths taken
    different = [
        (r["text"], r["redacted"], redacted)
        for r in records
        if (
            redacted := text_redact(
                r["text"],
                known_names=r["known_names"],
                use_recogniser=False,
                allowed_words=ALLOWED_WORDS,
            )
        )
        != r["redacted"]
    ]
    assert different == []


def _starts(items) -> tuple[set[str] | None, bool]:
    """The characters a match of a parsed regex can start with after the text's start
    (None: any), and whether it can match the empty string there."""
    found: set[str] = set()
    for op, value in items:
        if op is sre.AT and value in (sre.AT_BEGINNING, sre.AT_BEGINNING_STRING):
            return found, False  # this branch matches at the start only (no re.MULTILINE)
        if op in (sre.AT, sre.ASSERT, sre.ASSERT_NOT):
            continue  # zero width
        if op is sre.LITERAL:
            return found | {chr(value)}, False
        if op is sre.IN:
            for kind, item in value:
                if kind is not sre.LITERAL:
                    return None, False
                found.add(chr(item))
            return found, False
        if op in (sre.BRANCH, sre.SUBPATTERN):
            branches = value[1] if op is sre.BRANCH else [value[3]]
            empty = False
            for branch in branches:
                chars, branch_empty = _starts(branch)
                if chars is None:
                    return None, False
                found |= chars
                empty |= branch_empty
            if not empty:
                return found, False
            continue
        if op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT):
            minimum, _, inner = value
            chars, empty = _starts(inner)
            if chars is None:
                return None, False
            found |= chars
            if minimum and not empty:
                return found, False
            continue
        return None, False
    return found, True


GUARDED = [names.TITLE_RE, names._STRONG_TRIGGER_RE, names._NAMING_TRIGGER_RE]
GUARDED += [names._WEAK_TRIGGER_RE, address._SHIP_RE, address._TRIGGER_RE]


@pytest.mark.parametrize("regex", GUARDED, ids=lambda regex: regex.pattern[:40])
def test_a_guarded_regex_is_tried_at_every_character_a_match_can_start_with(regex):
    guard, inner = re.fullmatch(
        r"\(\?:\\A\|\(\?=\[(.*?)\]\)\)\(\?:(.*)\)", regex.pattern, re.S
    ).groups()
    assert not regex.flags & re.MULTILINE
    starts, empty = _starts(_parser.parse(inner, regex.flags))
    assert starts and not empty
    # Every character that one of them matches (in any case: "ſ" is an "s", "K" a "k")
    # the lookahead matches too; up to U+2200, past the Kelvin sign.
    lookahead = re.compile(f"[{guard}]", regex.flags & re.IGNORECASE)
    firsts = [re.compile(re.escape(ch), regex.flags & re.IGNORECASE) for ch in starts]
    missed = [
        chr(code)
        for code in range(0x2200)
        if any(first.fullmatch(chr(code)) for first in firsts)
        and not lookahead.fullmatch(chr(code))
    ]
    assert missed == []
    unguarded = re.compile(inner, regex.flags)
    texts = [
        "Hallo, mein Name ist Erika. MY NAME IS JOHN, ich heiße Jo, call me Al",
        "Name: Anna\n Kontakt: Ben\nFRAU Meier, Herrn Dr. Prof. Kurz, Mr. Smith, sra. Lopez",
        "it's Tom, I'm Ann, ich bin Udo, hier spricht Eva, a dog called Rex, ſir Kim",
        "your name? customer: Li. Full name is Bo. Vorname Max, nachname: Moll",
        "  Name: Udo Lindt\nKontakt: Rita, USNS Mercy, uss Enterprise",
        "Adresse: Hauptstr. 5, I live at 12 Elm St; send it to:\n3 Rue X. It's in Paris",
    ]
    for text in texts:
        assert [m.span() for m in regex.finditer(text)] == [
            m.span() for m in unguarded.finditer(text)
        ]


def test_a_text_without_digits_finds_the_addresses_that_need_none():
    # The detectors that run without a digit (a ship, a street after "lives at", a corner,
    # a form field) still find theirs; everything with a number is not looked for.
    assert not patterns.has_digit("Wo ist mein Paket?")
    assert patterns.has_digit("Bestellung ²")  # what id_spans counts as a digit too
    assert address.address_spans("Straße: Junkplatz\nOrt: Oschatz")
    assert address.address_spans("She lives at Baker Street, London.")
    assert address.address_spans("Meet me at the corner of Main and Elm")
    assert patterns.pattern_spans("Schreib an erika@example.org", id_patterns=()) == [
        (11, 28, "EMAIL")
    ]


@pytest.mark.parametrize("regex", [names._ROLE_BEFORE_RE, names._GERMAN_ROLE_ENDING_RE])
def test_a_role_is_searched_for_far_enough_before_the_blanks(regex):
    role = regex.pattern.removesuffix(r"[ \t]+$")
    assert role != regex.pattern
    assert _parser.parse(role, regex.flags).getwidth()[1] <= names._LONGEST_ROLE


@pytest.mark.parametrize(
    ("before", "german", "found"),
    [
        ("und dann sagte Bürgermeisterin \t", True, True),
        ("ein Europaministerin ", True, True),
        ("das war der Europaminister\n", True, False),  # no blank after the role
        ("Brief vom Vermieter \n", True, True),  # $ before a last line break
        ("Brief vom Vermieter \n\n", True, False),
        ("Brief vom Vermieter und ", True, False),
        ("talked to the spokeswoman ", False, True),
        ("talked to the Europaminister ", False, False),  # German compounds in German only
    ],
)
def test_a_role_before_a_word_is_found_as_the_whole_window_search_found_it(before, german, found):
    whole_window = bool(
        names._ROLE_BEFORE_RE.search(before)
        or (german and names._GERMAN_ROLE_BEFORE_RE.search(before))
    )
    assert whole_window is found
    assert names._role_before(before, german=german) is found
