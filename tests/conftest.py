import os
import sys

import pytest

from bot.knowledge_base import DEMO_KNOWLEDGE_BASE, knowledge_base_import_file
from tests.factories import (
    AgentFactory,
    DataSubjectFactory,
    PolicyVersionFactory,
    QueueFactory,
    UserFactory,
)
from tests.processes import (
    database_sessions_others,
    live_sqlite_open_guard_install,
    stray_database_connections_close,
)

SERVICES = os.environ.get("SUPPORTDESK_TEST_SERVICES") == "1"


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """pytest-django's, and before it drops the test database: the connections that
    outlived their tests closed (PostgreSQL refuses to drop a database another session
    uses), and any other session still on it named, with the local process it belongs to."""
    yield
    stray_database_connections_close()
    with django_db_blocker.unblock():
        for session in database_sessions_others():
            sys.stderr.write(f"\nA session still uses the test database: {session}\n")
            sys.stderr.flush()


def pytest_sessionstart(session):
    # An open()/close() of the SQLite test database here would drop SQLite's locks on it.
    live_sqlite_open_guard_install()


# Slow test modules whose outcome cannot depend on the database, channel layer or broker
# (pages judged in the browser, models trained in memory): the embedded suite runs them and
# the services suite skips them, which keeps CI within its time budget.
BACKEND_INDEPENDENT_MODULES = (
    "tests/test_accessibility_browser.py",
    "tests/test_keyboard_browser.py",
    "tests/test_contrast.py",
    # NLU in memory: these modules import no model and use no database (nor layer, broker).
    "tests/bot/nlu/",
    "tests/privacy/redaction/",
    # Source files and catalogues read from the checkout.
    "tests/test_import_direction.py",
    "tests/test_translations.py",
)


def pytest_collection_modifyitems(config, items):
    if SERVICES:
        # Slow tests that do not depend on the backends run once, in the embedded suite.
        once = pytest.mark.skip(reason="backend-independent: runs in the embedded suite")
        for item in items:
            if "embedded_only" in item.keywords or _backend_independent(item):
                item.add_marker(once)
        return
    skip = pytest.mark.skip(reason="needs `make test-services` (PostgreSQL, Redis, a broker)")
    for item in items:
        if "services" in item.keywords:
            item.add_marker(skip)


def _backend_independent(item):
    path = item.path.relative_to(item.config.rootpath).as_posix()
    return path.startswith(BACKEND_INDEPENDENT_MODULES)


@pytest.fixture(autouse=True)
def cache_cleared():
    """Each test starts with an empty cache: cached rows must not outlive their rollback
    (nor what each process remembers for a moment: presence, policy, the answerer, the
    events webhooks subscribe to)."""
    from django.core.cache import cache

    from agents.selectors import agent_presence_forget
    from bot import chat
    from event_pipeline.webhooks import webhook_subscriptions_forget
    from privacy.services.consent import policy_cache_clear

    cache.clear()
    agent_presence_forget()
    policy_cache_clear()
    webhook_subscriptions_forget()
    # The answerer (with the intents' actions) is checked against the knowledge base again.
    chat._answerer_cache["checked_at"] = float("-inf")
    yield
    cache.clear()
    agent_presence_forget()
    policy_cache_clear()
    webhook_subscriptions_forget()


@pytest.fixture(autouse=True)
def force_login_passes_second_factor(monkeypatch):
    """`client.force_login` signs staff in as the sign-in pages would after the second factor
    (the flow itself is tested through the pages, tests/staff/)."""
    from django.test.client import ClientMixin

    from staff.selectors import second_factor_required
    from tests.staff.second_factor import session_mark_verified

    original = ClientMixin._login

    def login(self, user, backend=None):
        original(self, user, backend)
        if second_factor_required(user=user):
            session_mark_verified(self, user)

    monkeypatch.setattr(ClientMixin, "_login", login)


@pytest.fixture
def agent(db):
    return AgentFactory()


@pytest.fixture
def queue(db, agent):
    return QueueFactory(members=[agent])


@pytest.fixture
def subject(db):
    return DataSubjectFactory()


@pytest.fixture
def user_factory(db):
    return UserFactory


@pytest.fixture
def policies(db):
    """The active privacy policy in German and English, version "2026-11"."""
    return {lang: PolicyVersionFactory(language=lang) for lang in ("de", "en")}


@pytest.fixture
def knowledge_base(db):
    """The demo knowledge base as `knowledge_base_import_file` stores it.

    The first test of a run imports the file; later tests that start without any knowledge
    base insert the rows that import stored (one statement per table, ids and timestamps
    new; ~545 tests use this fixture and the import's 860 statements cost ~0.4 s each).
    The import itself is tested in tests/bot/test_knowledge_base.py."""
    from bot.models import ExampleQuestion, Intent, IntentAnswer

    if _DEMO_ROWS and not (
        Intent.objects.exists() or IntentAnswer.objects.exists() or ExampleQuestion.objects.exists()
    ):
        _knowledge_base_rows_insert(_DEMO_ROWS)
        return
    knowledge_base_import_file(path=DEMO_KNOWLEDGE_BASE)
    if not _DEMO_ROWS and Intent.objects.count() == len(_demo_knowledge_base_slugs()):
        _DEMO_ROWS.update(_knowledge_base_rows_read())


# The rows the demo import stored, by model: read after the run's first import.
_DEMO_ROWS: dict[str, list[dict]] = {}


def _demo_knowledge_base_slugs() -> set[str]:
    import json

    data = json.loads(DEMO_KNOWLEDGE_BASE.read_text(encoding="utf-8"))
    return {entry["slug"] for entry in data["intents"]}


def _fresh_fields(model) -> list[str]:
    """Fields a new row sets itself: the primary key, timestamps, other callable defaults."""
    return [
        field.attname
        for field in model._meta.concrete_fields
        if field.primary_key
        or getattr(field, "auto_now", False)
        or getattr(field, "auto_now_add", False)
        or (field.has_default() and callable(field.default))
    ]


def _knowledge_base_rows_read() -> dict[str, list[dict]]:
    from bot.models import ExampleQuestion, Intent, IntentAnswer

    rows = {}
    for model in (Intent, IntentAnswer, ExampleQuestion):
        fresh = set(_fresh_fields(model))
        values = model.objects.order_by("pk").values(
            *(f.attname for f in model._meta.concrete_fields)
        )
        slugs = dict(Intent.objects.values_list("pk", "slug"))
        rows[model.__name__] = [
            {key: value for key, value in row.items() if key not in fresh}
            | ({"intent_id": slugs[row["intent_id"]]} if "intent_id" in row else {})
            for row in values
        ]
    return rows


def _knowledge_base_rows_insert(rows: dict[str, list[dict]]) -> None:
    from bot.models import ExampleQuestion, Intent, IntentAnswer
    from privacy.redaction.allow_list import shop_words_reset

    intents = Intent.objects.bulk_create(Intent(**row) for row in rows["Intent"])
    ids = {intent.slug: intent.pk for intent in intents}
    for model in (IntentAnswer, ExampleQuestion):
        model.objects.bulk_create(
            model(**(row | {"intent_id": ids[row["intent_id"]]})) for row in rows[model.__name__]
        )
    # What the import's saves signal: redaction reads the knowledge base's words again.
    shop_words_reset()


@pytest.fixture
def celery_eager():
    """Tasks run inline where they are sent (after commit, as in production)."""
    from supportdesk.celery import app

    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


@pytest.fixture
def browser():
    """Debian's Chromium through Playwright, for every browser test (never a downloaded build)."""
    from pathlib import Path

    from playwright.sync_api import sync_playwright

    from tests.processes import ARTIFACTS, CHROMIUM, CHROMIUM_FLAGS

    assert Path(CHROMIUM).exists(), "Chromium is missing: `make test` installs it."
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        try:
            yield browser
        finally:
            browser.close()
