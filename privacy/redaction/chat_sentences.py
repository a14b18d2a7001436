"""Support-chat sentences with names, generated from Faker's name lists, to train the recogniser.

The public German and English NER sets are news, Wikipedia, old newspapers and tweets:
none of them writes like a customer ("Müller hat angerufen", "mein Mann Jonas",
"lg sabine"). These templates add that register: introductions, greetings,
signatures, third parties, titles, surnames alone, lower-case and misspelt names,
and sentences without any name (so the model does not learn that every capitalised
German noun is a person). Generated data is only ever used for training, never
for the figures in the README.
"""

import functools
import importlib
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass

Span = tuple[int, int, str]

PERSON = "PERSON"
LOCATION = "LOCATION"
ORGANIZATION = "ORGANIZATION"

# Where a shop's customers come from: the names they carry.
NAME_LOCALES = {
    "de": ("de_DE", "de_DE", "de_DE", "de_AT", "de_CH", "tr_TR", "pl_PL", "it_IT", "hr_HR"),
    "en": ("en_US", "en_US", "en_GB", "en_IE", "en_NZ", "en_IN", "es_ES", "fr_FR", "de_DE"),
}

ALL_NAME_LOCALES = frozenset(locale for locales in NAME_LOCALES.values() for locale in locales)

# {first} first name, {last} surname, {full} "first last", {city}, {org}.
TEMPLATES = {
    "de": [
        "Hallo, ich bin {first} {last} und habe eine Frage zu meiner Bestellung.",
        "Guten Tag, mein Name ist {full}. Mein Paket ist nicht angekommen.",
        "{last} hat gestern angerufen wegen der Rechnung.",
        "{last} hat angerufen, bitte zurückrufen.",
        "Mein Mann {first} hat das Paket angenommen.",
        "Meine Frau {first} hat die Bestellung aufgegeben, aber ich bezahle.",
        "Frau {last} sagte mir, dass die Lieferung heute kommt.",
        "Herr {last} vom Kundenservice hat mir eine Gutschrift versprochen.",
        "Ich hatte schon mit Frau {last} telefoniert.",
        "Viele Grüße\n{full}",
        "Viele Grüße, {first}",
        "LG {first}",
        "lg {first}",
        "Mit freundlichen Grüßen\n{full}",
        "MfG {full}",
        "Gruß {first}",
        "Danke und schöne Grüße\n{first} {last}",
        "Können Sie bitte {full} zurückrufen?",
        "Das Paket ist an {full} adressiert, nicht an mich.",
        "Ich habe mit {first} aus Ihrem Team gesprochen, er wollte sich melden.",
        "Mein Sohn {first} hat das ohne mein Wissen bestellt.",
        "Meine Tochter {first} hat den Pullover in der falschen Größe bekommen.",
        "Die Bestellung läuft auf den Namen {last}.",
        "Die Bestellung läuft auf meinen Mann, {full}.",
        "{first}, kannst du bitte nochmal nachsehen?",
        "Hi {first}, danke für die schnelle Antwort!",
        "Hallo {first},\nvielen Dank für die Hilfe.",
        "Ist {first} heute im Dienst?",
        "{full} hier, ich warte immer noch auf mein Geld.",
        "Ich schreibe im Auftrag von {full}, meiner Mutter.",
        "Bei {last} hat es auch nicht geklappt.",
        "Meine Nachbarin, Frau {last}, hat das Paket angenommen.",
        "Der Bote hat bei {last} nebenan geklingelt.",
        "{last} meinte, ich soll mich bei Ihnen melden.",
        "Laut {first} ist die Ware schon unterwegs.",
        "Ihr Kollege {first} {last} hat mir etwas anderes gesagt.",
        "Sehr geehrte Frau {last},\nleider ist die Ware defekt.",
        "Sehr geehrter Herr {last}, vielen Dank für Ihre Nachricht.",
        "Bitte an {full} schicken, das ist meine Schwester.",
        "Ich bin die Frau von {full}.",
        "{first} und ich haben zusammen bestellt.",
        "Können Sie die Rechnung auf {last} ausstellen?",
        "Rechnung bitte an Familie {last}.",
        "Ansprechpartner ist {first} {last}.",
        "Mein Name: {full}",
        "Name: {last}, {first}",
        "ich heiße {first} und komme aus {city}",
        "Ich wohne in {city} und die Lieferung nach {city} dauert ewig.",
        "Ich habe bei {org} bestellt und nichts bekommen.",
        "{org} hat das Paket an die falsche Adresse geliefert.",
        "{first} {last} aus {city} hat das bestellt.",
        "Hat sich {first} schon gemeldet?",
        "Ich warte auf den Rückruf von Herrn {last}.",
        "Wer ist {first}? Ich kenne niemanden mit dem Namen.",
        "Das Geschenk war für meine Oma {first}.",
        "Schöne Grüße auch an {first}!",
        "Danke {first}!",
        "Vielen Dank, Frau {last}!",
        "Hallo Herr {last}, ich warte noch auf die Antwort.",
        "{first} {last}",
    ],
    "en": [
        "Hi, I'm {first} {last} and I have a question about my order.",
        "Hello, my name is {full}. My parcel never arrived.",
        "{last} called yesterday about the invoice.",
        "{last} rang, please call back.",
        "My husband {first} signed for the parcel.",
        "My wife {first} placed the order but I am paying.",
        "Mrs {last} told me the delivery would come today.",
        "Mr. {last} from customer service promised me a refund.",
        "I already spoke to Ms {last} on the phone.",
        "Best regards,\n{full}",
        "Thanks, {first}",
        "Cheers {first}",
        "cheers {first}",
        "Kind regards\n{full}",
        "Regards, {full}",
        "Thanks a lot!\n{first} {last}",
        "Could you please call {full} back?",
        "The parcel is addressed to {full}, not to me.",
        "I talked to {first} from your team, he said he would get back to me.",
        "My son {first} ordered this without asking me.",
        "My daughter {first} got the jumper in the wrong size.",
        "The order is under the name {last}.",
        "The order is under my husband's name, {full}.",
        "{first}, can you please check again?",
        "Hi {first}, thanks for the quick reply!",
        "Hello {first},\nthank you for your help.",
        "Is {first} working today?",
        "{full} here, I am still waiting for my money.",
        "I'm writing on behalf of {full}, my mother.",
        "It didn't work for {last} either.",
        "My neighbour, Mrs {last}, took the parcel in.",
        "The courier left it with {last} next door.",
        "{last} said I should contact you.",
        "According to {first} the goods are already on their way.",
        "Your colleague {first} {last} told me something else.",
        "Dear Mr {last},\nunfortunately the item is broken.",
        "Dear {first}, thank you for your message.",
        "Please send it to {full}, she is my sister.",
        "I am {full}'s wife.",
        "{first} and I ordered together.",
        "Can you make the invoice out to {last}?",
        "Invoice to the {last} family please.",
        "Contact person is {first} {last}.",
        "Name: {full}",
        "Name: {last}, {first}",
        "i'm {first} and i live in {city}",
        "I live in {city} and shipping to {city} takes forever.",
        "I ordered from {org} and got nothing.",
        "{org} delivered the parcel to the wrong address.",
        "{first} {last} from {city} placed the order.",
        "Has {first} got back to you yet?",
        "I'm waiting for {first}'s call back.",
        "Who is {first}? I don't know anyone by that name.",
        "The gift was for my grandma {first}.",
        "Say hi to {first}!",
        "Thanks {first}!",
        "Thank you, Mrs {last}!",
        "Hello Mr {last}, I am still waiting for an answer.",
        "{first} {last}",
        # A surname alone, as subject, object or after a verb of saying: the hardest kind.
        "According to {last} the parcel is on its way.",
        "{last} says the return has arrived.",
        "That is what {last} told me on the phone.",
        "Yesterday {last} picked up the return.",
        "I have written to {last} twice already.",
        "Can you tell {last} that I called?",
        '"That is not acceptable", {last} said.',
        "I did not understand the message from {last}.",
        "When will {last} finally get back to me?",
        "Someone called {last} rang me.",
        "Does {last} still work for you?",
        "{first} said it will take a few more days.",
        "My colleague {first} {last} has the same problem.",
        "My landlord, Mr {last}, does not accept parcels.",
        "Please leave the parcel with {last} next door.",
        "Dear Ms {last}, thank you!",
        "mrs {last} said i would get a refund",
        "mr {last} wanted to call back",
        "Greetings from {first} {last}",
        "See you, {first}",
        "Best\n{first}",
        "Thanks, {last}",
    ],
}

# Sentences without any name: what a support chat mostly is. Capitalised German nouns,
# product words, brands that are no persons.
NO_NAME_SENTENCES = {
    "de": [
        "Wann kommt mein Paket?",
        "Die Rechnung stimmt nicht, der Rabatt fehlt.",
        "Ich möchte meine Bestellung stornieren.",
        "Der Mantel in Größe M ist zu klein, kann ich ihn umtauschen?",
        "Mein Paket hängt seit Tagen im Verteilzentrum fest.",
        "Wie lange dauert die Rückerstattung?",
        "Kann ich auch per Rechnung bezahlen?",
        "Der Gutscheincode funktioniert nicht.",
        "Die Lieferung kam beschädigt an, der Karton war nass.",
        "Wo finde ich das Retourenetikett?",
        "Ich habe mein Passwort vergessen.",
        "Der Artikel ist seit Wochen nicht lieferbar.",
        "Gibt es die Schuhe auch in Schwarz?",
        "Warum wurde mir der Betrag zweimal abgebucht?",
        "Bitte schicken Sie mir eine neue Rechnung.",
        "Ich warte jetzt schon drei Wochen auf die Erstattung.",
        "Das Ladekabel fehlt im Karton.",
        "Kann ich die Lieferadresse noch ändern?",
        "Hallo, ich habe eine Frage zur Garantie.",
        "Vielen Dank für die schnelle Hilfe!",
        "Die Waschmaschine macht seit gestern komische Geräusche.",
        "Die Bestätigungsmail ist nie angekommen.",
        "Kann ich die Ware im Laden abholen?",
        "Mein Konto ist gesperrt, was kann ich tun?",
        "Der Kundenservice hat mich nicht zurückgerufen.",
        "Ich hätte gerne mein Geld zurück.",
        "Ist der Akku im Preis enthalten?",
        "Guten Morgen, die Sendungsverfolgung zeigt nichts an.",
        "Die Farbe weicht stark vom Foto ab.",
        "Gibt es Versandkosten bei Bestellungen ins Ausland?",
        "Die Hose ist zu lang, der Pullover passt.",
        "Der Fahrer hat das Paket einfach vor die Tür gestellt.",
        "Bitte löschen Sie mein Kundenkonto.",
        "Die App stürzt beim Bezahlen immer ab.",
        "Mit freundlichen Grüßen",
        "Viele Grüße und danke!",
        "Sehr geehrte Damen und Herren, ich möchte widerrufen.",
        "Hallo zusammen, ist jemand da?",
        "Ich bin Neukundin und kenne mich noch nicht aus.",
        "Ich bin sehr enttäuscht vom Service.",
    ],
    "en": [
        "When will my parcel arrive?",
        "The invoice is wrong, the discount is missing.",
        "I would like to cancel my order.",
        "The coat in size M is too small, can I exchange it?",
        "My parcel has been stuck at the depot for days.",
        "How long does the refund take?",
        "Can I pay by invoice?",
        "The voucher code doesn't work.",
        "The delivery arrived damaged, the box was wet.",
        "Where do I find the return label?",
        "I forgot my password.",
        "The item has been out of stock for weeks.",
        "Do you have these shoes in black?",
        "Why was I charged twice?",
        "Please send me a new invoice.",
        "I have been waiting three weeks for the refund.",
        "The charging cable is missing from the box.",
        "Can I still change the delivery address?",
        "Hello, I have a question about the warranty.",
        "Thanks for the quick help!",
        "The washing machine has been making strange noises since yesterday.",
        "The confirmation email never arrived.",
        "Can I pick the goods up in the store?",
        "My account is locked, what can I do?",
        "Customer service never called me back.",
        "I would like my money back.",
        "Is the battery included in the price?",
        "Good morning, the tracking page shows nothing.",
        "The colour is very different from the photo.",
        "Are there shipping costs for orders abroad?",
        "Kind regards",
        "Best wishes and thank you!",
        "Dear Sir or Madam, I would like to return this.",
        "Hi all, is anyone there?",
        "I am very disappointed with the service.",
    ],
}


def _provider(locale: str):
    return importlib.import_module(f"faker.providers.person.{locale}").Provider


def _names(locale: str, attribute: str) -> list[str]:
    provider = _provider(locale)
    for klass in provider.__mro__:
        value = klass.__dict__.get(attribute)
        if value:
            names = list(value)
            return sorted(n for n in names if isinstance(n, str) and n.replace("-", "").isalpha())
    return []


def _first_names(locale: str) -> list[str]:
    names: set[str] = set()
    for attribute in ("first_names", "first_names_female", "first_names_male"):
        names |= set(_names(locale, attribute))
    return sorted(names)


def _last_names(locale: str) -> list[str]:
    # Some locales list surnames under other names (pl_PL): Faker's base list is just "Doe".
    names: set[str] = set()
    for attribute in ("last_names", "last_names_male", "last_names_female", "unisex_last_names"):
        names |= set(_names(locale, attribute))
    return sorted(names - {"Doe"}) if len(names) > 1 else sorted(names)


def _cities(lang: str) -> list[str]:
    module = importlib.import_module(
        "faker.providers.address.de_DE" if lang == "de" else "faker.providers.address.en_GB"
    )
    provider = module.Provider
    for attribute in ("cities", "city_names", "cities_de"):
        value = getattr(provider, attribute, None)
        if value:
            return sorted(value)
    return ["Berlin", "Hamburg", "London", "Leeds"]


def _organisations(lang: str, rng: random.Random, last_names: list[str]) -> list[str]:
    suffixes = ("GmbH", "AG", "KG", "& Co. KG", "Versand") if lang == "de" else ("Ltd", "Inc.")
    fixed = ["DHL", "Hermes", "Amazon", "Zalando", "Otto", "PayPal", "Klarna", "DPD", "UPS"]
    return fixed + [f"{rng.choice(last_names)} {rng.choice(suffixes)}" for _ in range(40)]


def _misspelt(name: str, rng: random.Random) -> str:
    if len(name) < 4:
        return name
    position = rng.randrange(1, len(name) - 1)
    change = rng.choice(("drop", "double", "swap"))
    if change == "drop":
        return name[:position] + name[position + 1 :]
    if change == "double":
        return name[:position] + name[position] + name[position:]
    return name[:position] + name[position + 1] + name[position] + name[position + 2 :]


@functools.cache
def _name_pools(lang: str) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """First names and surnames by locale, for the locales of `lang`'s customers."""
    locales = set(NAME_LOCALES[lang])
    return (
        {locale: _first_names(locale) for locale in locales},
        {locale: _last_names(locale) for locale in locales},
    )


def _name_pair(lang: str, rng: random.Random) -> tuple[str, str]:
    locales = NAME_LOCALES[lang]
    first_by_locale, last_by_locale = _name_pools(lang)
    locale = rng.choice(locales)
    first = rng.choice(first_by_locale[locale] or first_by_locale[locales[0]])
    last = rng.choice(last_by_locale[locale] or last_by_locale[locales[0]])
    return first, last


def _replacement_name(original: str, *, lang: str, rng: random.Random) -> str:
    """Another person's name for `original`: most often a surname alone, as news and chats
    name a person once introduced, or the original's own last word."""
    first, last = _name_pair(lang, rng)
    words = original.split()
    roll = rng.random()
    if roll < 0.2 and len(words) > 1:
        name = words[-1]
    elif roll < 0.55:
        name = last
    elif roll < 0.65:
        name = first
    else:
        name = f"{first} {last}"
    if original.endswith("s") and not name.endswith(("s", "x", "z")) and rng.random() < 0.5:
        name += "s"  # the genitive ("Merkels Vertraute"), as the public sets label it
    return name


@dataclass(frozen=True)
class ReplacementPools:
    """What a copy's places, organisations and plain capitalised nouns are replaced with
    (`entities_replaced`): when only persons change, any unknown capitalised word in a
    person's place becomes a person to the model, and it takes rare nouns ("Arsenik",
    "Akustikgitarren") and places for names. Shuffling every kind within its kind leaves
    the words themselves (and their subword vectors) as the evidence."""

    places: tuple[str, ...]
    organisations: tuple[str, ...]
    nouns: tuple[str, ...]
    # Share of the plain nouns of a sentence that are replaced.
    noun_share: float = 0.3


def german_places() -> list[str]:
    """Towns, states and countries in German (Faker's de_DE address lists)."""
    provider = importlib.import_module("faker.providers.address.de_DE").Provider
    return sorted({*provider.cities, *provider.states, *provider.countries})


_CAPITALISED_RE = re.compile(r"\b[A-ZÄÖÜ][a-zäöüß]{3,}\b")
# After these a word is capitalised as the start of a sentence or a quotation.
_SENTENCE_OPENERS = '.!?:"„“«»('


def plain_nouns(text: str, spans: list[Span]) -> list[tuple[int, int]]:
    """The capitalised words (four letters or more) of a German sentence outside its entity
    spans, but the first of a sentence or a quotation: in German, nouns."""
    nouns = []
    for match in _CAPITALISED_RE.finditer(text):
        before = text[: match.start()].rstrip()
        if not before or before[-1] in _SENTENCE_OPENERS or before[-1] == "-":
            continue
        if not any(start < match.end() and match.start() < end for start, end, _ in spans):
            nouns.append((match.start(), match.end()))
    return nouns


def entities_replaced(
    text: str,
    spans: list[Span],
    *,
    lang: str,
    rng: random.Random,
    pools: ReplacementPools | None = None,
) -> tuple[str, list[Span]]:
    """text with each PERSON span replaced by another name (`_replacement_name`), and with
    `pools` its places, organisations and some of its plain nouns by others of their kind;
    the spans moved with them."""
    changes: list[tuple[int, int, str | None]] = [
        (start, end, label) for start, end, label in spans
    ]
    if pools:
        changes += [
            (start, end, None)
            for start, end in plain_nouns(text, spans)
            if rng.random() < pools.noun_share
        ]
    result = ""
    moved: list[Span] = []
    position = 0
    for start, end, label in sorted(changes, key=lambda change: change[:2]):
        if start < position:
            continue  # overlapping spans: the first one wins
        result += text[position:start]
        original = text[start:end]
        if label == PERSON:
            value = _replacement_name(original, lang=lang, rng=rng)
        elif pools and label is None:
            value = rng.choice(pools.nouns)
        elif pools and label == LOCATION:
            value = rng.choice(pools.places)
        elif pools and label == ORGANIZATION:
            value = rng.choice(pools.organisations)
        else:
            value = original
        if label is not None:
            moved.append((len(result), len(result) + len(value), label))
        result += value
        position = end
    return result + text[position:], moved


def chat_sentences(*, lang: str, count: int, seed: int) -> Iterator[tuple[str, list[Span]]]:
    """`count` generated sentences with their entity spans, reproducible from `seed`."""
    rng = random.Random(seed)
    locales = NAME_LOCALES[lang]
    first_by_locale, last_by_locale = _name_pools(lang)
    cities = _cities(lang)
    organisations = _organisations(lang, rng, last_by_locale[locales[0]])
    templates = TEMPLATES[lang]
    no_name = NO_NAME_SENTENCES[lang]
    for _ in range(count):
        if rng.random() < 0.15:
            yield rng.choice(no_name), []
            continue
        locale = rng.choice(locales)
        first = rng.choice(first_by_locale[locale] or first_by_locale[locales[0]])
        last = rng.choice(last_by_locale[locale] or last_by_locale[locales[0]])
        roll = rng.random()
        if roll < 0.12:
            first, last = first.lower(), last.lower()
        elif roll < 0.22:
            first, last = _misspelt(first, rng), _misspelt(last, rng)
        values = {
            "first": (first, PERSON),
            "last": (last, PERSON),
            "full": (f"{first} {last}", PERSON),
            "city": (rng.choice(cities), LOCATION),
            "org": (rng.choice(organisations), ORGANIZATION),
        }
        text, spans = _fill(rng.choice(templates), values)
        if rng.random() < 0.08:
            text = text.lower()  # a customer typing without shift
        yield text, spans


def _fill(template: str, values: dict[str, tuple[str, str]]) -> tuple[str, list[Span]]:
    text = ""
    spans: list[Span] = []
    rest = template
    while "{" in rest:
        before, _, after = rest.partition("{")
        key, _, rest = after.partition("}")
        text += before
        value, label = values[key]
        start = len(text)
        text += value
        if spans and spans[-1][2] == label == PERSON and text[spans[-1][1] : start] == " ":
            # "{first} {last}": one name, as the public sets label it.
            spans[-1] = (spans[-1][0], len(text), label)
        else:
            spans.append((start, len(text), label))
    return text + rest, spans
