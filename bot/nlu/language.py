"""Which of the bot's languages (German, English) a customer message is written in.

A message is scored for each language from three kinds of evidence, strongest
first: function words ("nicht", "the"), letters only German uses (ä, ö, ü, ß),
and letter sequences typical of one language ("sch", "th"). German words are
also listed in the spellings customers use without umlaut keys ("fuer", "fur").
Too little evidence, or too little difference, returns the caller's fallback
(usually the conversation's language), so "ok" or "123" never switches it.
"""

import re
import unicodedata
from functools import cache

LANGUAGES = ("de", "en")

# Words frequent in customer questions and rare in the other language. Left out on
# purpose because both languages use them: in, an, so, also, was, will, hat, hi, ok.
_GERMAN_WORDS = """
aber alle allem allen aller alles als auch auf aus bei beim bin bis bitte bist da
dafür damit dann darf das dass dem den denn der des dich die dies diese diesem diesen
dieser dir doch dort du durch ein eine einem einen einer eines er es etwas euch euer
eure für gibt geht gerne gern habe haben hallo hast heute hier ich ihm ihn ihnen ihr
ihre ihrem ihren immer ist ja jetzt kann kannst kein keine keinen können könnte leider
man mein meine meinem meinen meiner mich mir mit möchte möchten muss müssen nach nein
nicht nichts noch nur ob oder ohne schon sehr sein seine sich sie sind soll sollte
über um und uns unser unsere viel vielen vom von vor wann war warum weil welche
welchen welcher welches wenn wer werden wie wieder wieso wir wird wo würde zu zum zur
zurück dank danke gut tschüss guten moin servus weiß gekauft bestellt geliefert
""".split()

_ENGLISH_WORDS = """
a about after all and any are as at be been but by can can't could did didn't do
does doesn't don't for from get got had has have haven't he hello her here him his
how i i'd i'll i'm i've if is isn't it it's its just know like me more much my need
no not now of on one or our out please she should some than thank thanks that the
their them then there they this to too up us want we were what what's when where
where's which who why with won't would you you're your yet still yes goodbye bye
ordered received delivered
""".split()

# Word stems of everyday shop and support vocabulary, found inside compounds too
# ("Rechnungskopie", "reordering"), so keyword messages ("ratenzahlung", "refund
# status") are not left undecided. Weaker than a function word.
_GERMAN_STEMS = """
bestell liefer rechnung zahlung zahlen versand sendung gutschein konto passwort adresse
anschrift kunde artikel paket garantie tausch storn daten größe farbe preis kosten
abmeld anmeld frage hilfe geld kaputt beschädigt verfolg erstatt rabatt lager verfügbar
öffnung mitarbeit auskunft lösch änder vergessen bekommen kommen schick falsch
""".split()
_ENGLISH_STEMS = """
order deliver shipping refund return payment invoice billing account password address
customer parcel package money warranty exchange cancel size colour color price cost
subscri track stock availab discount gift card privacy morning evening afternoon
greeting cheers bye thx wrong damage broken missing forgot change delete update request
staff human agent hours instal split coupon locker possible error issue deadline period
close advice chart expired care later item
""".split()

# Letter sequences (in a word padded with "_") typical of one language, with a
# weight below a function word's: they are evidence, not proof.
_GERMAN_NGRAMS = {
    "sch": 1.0,
    "ich": 0.5,
    "cht": 1.0,
    "ung": 0.8,
    "eit": 0.6,
    "tz": 0.8,
    "pf": 0.6,
    "_ge": 0.5,
    "en_": 0.4,
    "ei": 0.3,
    "ie": 0.2,
    "z": 0.4,
    "k": 0.3,
    "uel": 0.3,
}
_ENGLISH_NGRAMS = {
    "th": 1.0,
    "wh": 1.0,
    "ing_": 1.0,
    "ould": 1.0,
    "y": 0.4,
    "w": 0.3,
    "ea": 0.5,
    "ou": 0.4,
    "_a_": 0.4,
    "ay": 0.5,
    "ow": 0.4,
    "ck_": 0.2,
    "ed_": 0.6,
    "s_": 0.2,
}
_WORD_WEIGHT = 2.0
_STEM_WEIGHT = 1.5
_GERMAN_LETTER_WEIGHT = 3.0
# Below this much evidence a text is too short to tell; above it, the winner must
# lead by this share of all evidence.
_EVIDENCE_MIN = 1.5
_LEAD_MIN = 0.2

_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")
_UMLAUT_SPELLINGS = {"ä": ("ae", "a"), "ö": ("oe", "o"), "ü": ("ue", "u")}


def _german_spellings(word: str) -> set[str]:
    """ "für" -> {"für", "fuer", "fur"}: every way customers type it without umlaut keys."""
    spellings = {word}
    for umlaut, replacements in _UMLAUT_SPELLINGS.items():
        spellings = {
            spelling.replace(umlaut, replacement)
            for spelling in spellings
            for replacement in (umlaut, *replacements)
        }
    return spellings | {spelling.replace("ß", "ss") for spelling in spellings}


@cache
def _words(language: str) -> frozenset[str]:
    if language == "de":
        return frozenset(s for word in _GERMAN_WORDS for s in _german_spellings(word))
    return frozenset(_ENGLISH_WORDS)


@cache
def _stems(language: str) -> re.Pattern:
    """Finds any of the language's stems inside a word (one pattern: a loop over the
    stems cost most of a detection)."""
    if language == "de":
        stems = sorted({s for stem in _GERMAN_STEMS for s in _german_spellings(stem)})
    else:
        stems = _ENGLISH_STEMS
    return re.compile("|".join(map(re.escape, stems)))


def language_scores(text: str) -> dict[str, float]:
    """Evidence for each language; what `language_detect` decides on."""
    lowered = unicodedata.normalize("NFC", text).casefold().replace("’", "'")
    words = _WORD.findall(lowered)
    scores = dict.fromkeys(LANGUAGES, 0.0)
    scores["de"] += _GERMAN_LETTER_WEIGHT * min(3, sum(lowered.count(c) for c in "äöüß"))
    for word in words:
        for language in LANGUAGES:
            if word in _words(language):
                scores[language] += _WORD_WEIGHT
            elif _stems(language).search(word):
                scores[language] += _STEM_WEIGHT
        padded = f"_{word}_"
        for language, ngrams in (("de", _GERMAN_NGRAMS), ("en", _ENGLISH_NGRAMS)):
            # At most one word's worth of evidence from letters alone.
            letters = sum(weight for ngram, weight in ngrams.items() if ngram in padded)
            scores[language] += min(letters, _WORD_WEIGHT) / 2
    return scores


def language_detect(text: str, *, fallback: str) -> str:
    """ "de" or "en" for the text; `fallback` when it is too short or ambiguous."""
    scores = language_scores(text)
    total = sum(scores.values())
    best = max(LANGUAGES, key=scores.__getitem__)
    if scores[best] < _EVIDENCE_MIN:
        return fallback
    runner_up = max(score for language, score in scores.items() if language != best)
    if (scores[best] - runner_up) / total < _LEAD_MIN:
        return fallback
    return best
