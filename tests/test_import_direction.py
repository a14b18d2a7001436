"""Imports go one way (README, "Architecture"): an app imports only the apps of lower
layers, and no import hides inside a function unless a comment beside it says why (a
heavy library loaded on first use, a cycle inside one app). apps.py is exempt: Django
imports it while it fills the app registry, before any model may be imported, so its
ready() and signal handlers import when they run.

The code is read, not run: every `import` statement of every module of our apps."""

import ast
from pathlib import Path

from django.conf import settings

# Lowest first. The message path runs upwards: a transport (bot, email_channel) hands a
# customer's words to bot's engine, which records the change and its outbox event
# (event_pipeline) in one transaction, on models whose personal data privacy encrypts.
LAYERS = [
    ("platform_core",),  # API plumbing, consumer base, storable text, cache, health
    ("privacy",),  # encryption, the personal-data registry, consent, requests, audit
    ("event_pipeline",),  # the outbox, frames and group names, webhooks
    ("bot",),  # conversations, the engine, the knowledge base, NLU, messengers
    ("staff",),  # staff accounts, sessions, second factor, roles
    ("agents",),  # the inbox, queues, teaching, analytics
    ("email_channel", "helpcentre"),  # channels built on the inbox and the bot
    ("supportdesk",),  # the project: settings, URLs, routing, Celery, the sweeper
]
LAYER_OF = {app: index for index, apps in enumerate(LAYERS) for app in apps}
ROOT = Path(settings.BASE_DIR)


def _modules():
    for app in LAYER_OF:
        for path in sorted(ROOT.joinpath(app).rglob("*.py")):
            if "migrations" not in path.parts:
                yield app, path


def _imported_apps(node: ast.AST) -> list[str]:
    if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
        names = [node.module]
    elif isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        return []
    return [name.split(".")[0] for name in names if name.split(".")[0] in LAYER_OF]


def test_every_app_of_ours_has_a_layer():
    ours = {
        name.split(".")[0]
        for name in settings.INSTALLED_APPS
        if ROOT.joinpath(name.split(".")[0]).is_dir()
    }
    assert ours == set(LAYER_OF)


def test_no_app_imports_a_higher_layer():
    upward = [
        f"{path.relative_to(ROOT)}:{node.lineno} ({app} imports {imported})"
        for app, path in _modules()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        for imported in _imported_apps(node)
        if LAYER_OF[imported] > LAYER_OF[app]
        or (LAYER_OF[imported] == LAYER_OF[app] and imported != app)
    ]
    assert upward == []


def _explained(lines: list[str], node: ast.AST, import_lines: set[int]) -> bool:
    """A comment on the import's own lines, or above it in its block of imports."""
    if any("#" in lines[number - 1] for number in range(node.lineno, node.end_lineno + 1)):
        return True
    number = node.lineno - 1
    while number >= 1:
        line = lines[number - 1].strip()
        if line.startswith("#"):
            return True
        if line and number not in import_lines:
            return False
        number -= 1
    return False


def test_no_function_level_import_without_a_reason():
    unexplained = []
    for _app, path in _modules():
        if path.name == "apps.py":
            continue
        source = path.read_text(encoding="utf-8")
        lines = source.splitlines()
        for function in ast.walk(ast.parse(source)):
            if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            imports = [
                node
                for node in ast.walk(function)
                if isinstance(node, (ast.Import, ast.ImportFrom))
            ]
            import_lines = {
                number for node in imports for number in range(node.lineno, node.end_lineno + 1)
            }
            unexplained += [
                f"{path.relative_to(ROOT)}:{node.lineno} in {function.name}()"
                for node in imports
                if not _explained(lines, node, import_lines)
            ]
    assert sorted(set(unexplained)) == [], sorted(set(unexplained))
