"""Finds strings of the other language on a rendered page (see tests/test_one_language.py).

The vocabulary is every message of the catalogues the pages are built from: the project's own
(locale/) and Django's (its core and every contrib app in INSTALLED_APPS). On a German page,
an English msgid is a leak unless German spells it the same; on an English page, a German
translation is a leak unless English spells it the same. A one-word message counts only when it
is a whole piece of text on its own (a button, a heading, a table cell), so a shop's "Status"
data never matches a word inside a sentence; a longer message counts wherever it appears.
"""

import re
from dataclasses import dataclass
from functools import cache
from html.parser import HTMLParser
from pathlib import Path

import django
import polib
from django.apps import apps
from django.conf import settings

# Messages that are the same word in both languages (a msgstr equal to its msgid in the
# catalogues says so too; these are the ones Django leaves untranslated or spells differently
# only in case).
SAME_IN_BOTH = {
    "api",
    "csv",
    "e-mail",
    "faq",
    "id",
    "ok",
    "url",
    "json",
    "name",
    "status",
    "team",
    "text",
    "token",
    "tokens",
    "details",
    "export",
    "version",
    "online",
    "offline",
    "supportdesk",
    "telegram",
    "whatsapp",
    "messenger",
    "bot",
    "chat",
    "start",
    "system",
    "filter",
    "%s",
}
# Data of the test's desk that happens to spell a message, as written (case counts): the
# demo knowledge base's topic keys.
DATA = {"privacy"}
# A masked value is data too: the admin shows a password hash's salt and hash as their first
# characters and asterisks, and a salt may begin with "bY" (the message "by").
MASKED_VALUE = re.compile(r"\S*\*{4,}")
# Leaks no catalogue knows of, because the text never passed through gettext at all:
# Django's defaults derived from names ("updated at"), and English literals in templates.
KNOWN_LEAKS_DE = [
    "- Select an option -",
    "Run",
    "Search",
    "Public id",
    "Created at",
    "Updated at",
    "Last seq",
    "Training fingerprint",
    # A row's default name ("User_groups object (1)").
    "%s object (%s)",
    "No Differences Found",
    "requests_by_kind",
    # The text of the admin's yes/no icons, unless platform_core/admin.py gives them one.
    "True",
    "False",
]
# Attributes whose values a person reads or hears.
READ_ATTRIBUTES = {"title", "placeholder", "aria-label", "alt", "aria-description"}
# Elements whose content is not page text.
SKIPPED_ELEMENTS = {"script", "style", "template", "textarea", "code", "pre", "noscript"}


VOID_ELEMENTS = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "wbr"}


class PageText(HTMLParser):
    """The pieces of text a person reads or hears on a page, each as one string. Text in an
    element marked with another language (a language's own name in the switch) is left out."""

    def __init__(self, language: str = ""):
        super().__init__(convert_charrefs=True)
        self.language = language
        self.pieces: list[str] = []
        self._skipped: list[str] = []  # the open elements whose content is not read

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        foreign = self.language and attributes.get("lang", self.language)[:2] != self.language
        if tag not in VOID_ELEMENTS and (tag in SKIPPED_ELEMENTS or foreign or self._skipped):
            self._skipped.append(tag)
        if foreign or self._skipped:
            return
        for name in READ_ATTRIBUTES & attributes.keys():
            self._add(attributes[name])
        if tag == "input" and attributes.get("type") in {"submit", "button", "reset"}:
            self._add(attributes.get("value"))

    def handle_endtag(self, tag):
        if tag in self._skipped:
            while self._skipped and self._skipped.pop() != tag:
                pass

    def handle_data(self, data):
        if not self._skipped:
            self._add(data)

    def _add(self, text):
        text = " ".join((text or "").split())
        if text:
            self.pieces.append(text)


def page_text(html: str, language: str = "") -> list[str]:
    parser = PageText(language)
    parser.feed(html)
    parser.close()
    return parser.pieces


def _catalogue_paths(language: str) -> list[Path]:
    roots = [Path(settings.BASE_DIR) / "locale", Path(django.__file__).parent / "conf" / "locale"]
    roots += [Path(app.path) / "locale" for app in apps.get_app_configs()]
    return [
        root / language / "LC_MESSAGES" / name
        for root in roots
        for name in ("django.po", "djangojs.po")
        if (root / language / "LC_MESSAGES" / name).exists()
    ]


def _normal(text: str) -> str:
    return " ".join(text.split()).casefold()


def _key(text: str) -> str:
    """A message as a whole piece of text: "Agent:" is the message "agent"."""
    return _normal(text).strip(" .:?!*")


def _pattern(message: str) -> re.Pattern:
    """A message as it may appear on a page: placeholders match any text."""
    parts = re.split(r"%\(\w+\)[sdif]|%[sdif]|\{\w*\}", _normal(message))
    body = r".+?".join(re.escape(part) for part in parts)
    return re.compile(rf"(?<![\w-]){body}(?![\w-])")


@dataclass(frozen=True)
class Vocabulary:
    whole: frozenset[str]  # one-word messages: a leak only as a whole piece of text
    # Longer ones, a leak anywhere: (the message, its longest literal part, its pattern).
    phrases: tuple[tuple[str, str, re.Pattern], ...]


@cache
def foreign_vocabulary(page_language: str) -> Vocabulary:
    """The messages that must not appear on a page in `page_language`."""
    foreign: set[str] = set()
    same: set[str] = set(SAME_IN_BOTH)
    for path in _catalogue_paths("de"):
        for entry in polib.pofile(str(path)):
            if entry.obsolete or not entry.msgid:
                continue
            translations = [entry.msgstr] if entry.msgstr else list(entry.msgstr_plural.values())
            translations = [text for text in translations if text]
            msgids = [entry.msgid] + ([entry.msgid_plural] if entry.msgid_plural else [])
            if any(_key(text) in map(_key, msgids) for text in translations):
                same.update(map(_key, msgids))
                continue
            foreign.update(msgids if page_language == "de" else translations)
    if page_language == "de":
        # Django's English catalogues list every message, translated into German or not.
        for path in _catalogue_paths("en"):
            foreign.update(entry.msgid for entry in polib.pofile(str(path)) if entry.msgid)
        foreign.update(KNOWN_LEAKS_DE)
    return _vocabulary(foreign, same)


def _vocabulary(messages: set[str], same: set[str]) -> Vocabulary:
    whole, phrases = set(), {}
    for message in messages:
        normal = _normal(message)
        if _key(message) in same or len(re.sub(r"%\(\w+\)[sdif]|%[sdif]|\W", "", normal)) < 2:
            continue
        if len(normal.split()) == 1 or "%" in normal and len(normal.split()) <= 2:
            whole.add(_key(message))
        else:
            literal = max(re.split(r"%\(\w+\)[sdif]|%[sdif]|\{\w*\}", normal), key=len)
            phrases[normal] = (normal, literal, _pattern(message))
    return Vocabulary(frozenset(whole), tuple(phrases.values()))


def foreign_strings(html: str, page_language: str) -> list[str]:
    """Every piece of text on the page that holds a message of the other language."""
    vocabulary = foreign_vocabulary(page_language)
    found = []
    for piece in page_text(html, page_language):
        normal = _normal(piece)
        if piece in DATA or MASKED_VALUE.fullmatch(piece):
            continue
        if _key(piece) in vocabulary.whole:
            found.append(piece)
            continue
        for message, literal, pattern in vocabulary.phrases:
            if literal in normal and pattern.search(normal):
                found.append(piece if normal == message else f"{piece!r} (holds {message!r})")
                break
    return found
